// duckdb_query.mjs -- the DuckDB side of bench/run.sh: the same query as
// spate's, on the same JSON-lines file, with the same thread count.
//
//   node bench/duckdb_query.mjs --file F --threads N --mode copy --out O
//   node bench/duckdb_query.mjs --file F --threads N --mode count
//
// Modes:
//   copy   COPY (SELECT ad_id, event_time FROM read_json(F, ...)
//                WHERE event_type = 'view') TO O (FORMAT JSON)
//          -- the stateless workload: file in -> filter/project -> file out
//   count  SELECT count(*) FROM read_json(F, ...) -- the cost of reading
//   viewcount  SELECT count(*) ... WHERE event_type = 'view' (no writing)
//   ysb    the YSB query: views joined to the campaigns table (--campaigns
//          C, CSV with a header), count per campaign per 10 s tumbling
//          window, COPY ... TO O (FORMAT JSON); the window is written as
//          spate writes it: {"start":"...Z","end":"...Z"} (ISO, ms, UTC)
//   hicard SELECT k, count(*) AS n, sum(v) AS s FROM read_json(F) GROUP BY k
//          on kv_gen's {"k":..,"v":..} lines, COPY ... TO O (FORMAT JSON)
//
// read_json gets the declared schema (columns={...}), as spate's CREATE
// SOURCE does, so DuckDB does no type sniffing.
//
// Prints one JSON object on standard output:
//   {"system":"duckdb","mode":..,"threads":..,"rows":..,"query_s":..,
//    "setup_s":..,"cpu_s":..,"max_rss_kb":..,"duckdb_version":..}
// query_s is the wall time of the query alone (instance creation, node
// start-up and module loading excluded: they are setup_s and the caller's
// process time). cpu_s is the user + system CPU time of all the process's
// threads during the query. max_rss_kb is the peak RSS of this node process.
import { DuckDBInstance } from '@duckdb/node-api';

function parseArgs(argv) {
  const a = { mode: 'copy', threads: '1', preserveOrder: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case '--file': a.file = v; i++; break;
      case '--out': a.out = v; i++; break;
      case '--threads': a.threads = v; i++; break;
      case '--mode': a.mode = v; i++; break;
      case '--campaigns': a.campaigns = v; i++; break;
      case '--preserve-order': a.preserveOrder = v; i++; break;
      case '-h': case '--help':
        console.log('usage: node duckdb_query.mjs --file F --threads N ' +
          '--mode copy|count|viewcount|ysb|hicard|pageview [--out O] [--campaigns C] ' +
          '[--preserve-order true|false]');
        process.exit(0);
      default:
        console.error(`duckdb_query: unknown argument ${k}`);
        process.exit(2);
    }
  }
  if (!a.file) { console.error('duckdb_query: --file is required'); process.exit(2); }
  if (['copy', 'ysb', 'hicard', 'pageview'].includes(a.mode) && !a.out) {
    console.error(`duckdb_query: --out is required for ${a.mode}`); process.exit(2);
  }
  if (a.mode === 'ysb' && !a.campaigns) {
    console.error('duckdb_query: --campaigns is required for ysb'); process.exit(2);
  }
  if (!/^[1-9][0-9]*$/.test(a.threads)) { console.error('duckdb_query: bad --threads'); process.exit(2); }
  return a;
}

const sqlStr = (s) => `'${String(s).replaceAll("'", "''")}'`;

const args = parseArgs(process.argv.slice(2));
const columns = "{user_id: 'VARCHAR', page_id: 'VARCHAR', ad_id: 'VARCHAR', " +
  "ad_type: 'VARCHAR', event_type: 'VARCHAR', event_time: 'BIGINT', " +
  "ip_address: 'VARCHAR'}";
const scan = `read_json(${sqlStr(args.file)}, format = 'newline_delimited', ` +
  `columns = ${columns})`;

let sql;
switch (args.mode) {
  case 'copy':
    sql = `COPY (SELECT ad_id, event_time FROM ${scan} WHERE event_type = 'view') ` +
      `TO ${sqlStr(args.out)} (FORMAT JSON)`;
    break;
  case 'count':
    sql = `SELECT count(*) AS n FROM ${scan}`;
    break;
  case 'viewcount':
    sql = `SELECT count(*) AS n FROM ${scan} WHERE event_type = 'view'`;
    break;
  case 'ysb': {
    // Spark's tumbling window: [floor(t / 10 s) * 10 s, + 10 s), in UTC.
    const iso = (ms) => `strftime(epoch_ms(${ms}), '%Y-%m-%dT%H:%M:%S.%gZ')`;
    const camps = `read_csv(${sqlStr(args.campaigns)}, header = true, ` +
      "columns = {ad_id: 'VARCHAR', campaign_id: 'VARCHAR'})";
    sql = 'COPY (SELECT c.campaign_id, ' +
      `struct_pack("start" := ${iso('ws')}, "end" := ${iso('ws + 10000')}) AS w, ` +
      'count(*) AS views ' +
      'FROM (SELECT ad_id, (event_time // 10000) * 10000 AS ws ' +
      `      FROM ${scan} WHERE event_type = 'view') e ` +
      `JOIN ${camps} c ON e.ad_id = c.ad_id ` +
      'GROUP BY c.campaign_id, e.ws) ' +
      `TO ${sqlStr(args.out)} (FORMAT JSON)`;
    break;
  }
  case 'hicard': {
    const kv = `read_json(${sqlStr(args.file)}, format = 'newline_delimited', ` +
      "columns = {k: 'BIGINT', v: 'BIGINT'})";
    sql = `COPY (SELECT k, count(*) AS n, sum(v) AS s FROM ${kv} GROUP BY k) ` +
      `TO ${sqlStr(args.out)} (FORMAT JSON)`;
    break;
  }
  case 'pageview': {
    // --file is a glob over pv_gen's files
    const pv = `read_json(${sqlStr(args.file)}, format = 'newline_delimited', ` +
      "columns = {ts: 'BIGINT', user_id: 'VARCHAR', url: 'VARCHAR', event_type: 'VARCHAR'})";
    sql = `COPY (SELECT url, count(*) AS views FROM ${pv} GROUP BY url) ` +
      `TO ${sqlStr(args.out)} (FORMAT JSON)`;
    break;
  }
  default:
    console.error(`duckdb_query: unknown mode ${args.mode}`);
    process.exit(2);
}

const t0 = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run(`SET threads = ${Number(args.threads)}`);
if (args.preserveOrder !== 'default') {
  await conn.run(`SET preserve_insertion_order = ${args.preserveOrder === 'true'}`);
}
const ver = (await conn.runAndReadAll('SELECT version() AS v')).getRows()[0][0];
const thr = (await conn.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0][0];
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage();

// COPY returns one row holding the number of rows written; the counts one
// row holding count(*).
const reader = await conn.runAndReadAll(sql);
const t2 = process.hrtime.bigint();
const c2 = process.cpuUsage(c1);
const rows = Number(reader.getRows()[0][0]);
conn.closeSync();

const rec = {
  system: 'duckdb',
  mode: args.mode,
  threads: Number(thr),
  rows,
  query_s: Number(t2 - t1) / 1e9,
  setup_s: Number(t1 - t0) / 1e9,
  cpu_s: (c2.user + c2.system) / 1e6,
  max_rss_kb: process.resourceUsage().maxRSS,
  duckdb_version: String(ver),
};
console.log(JSON.stringify(rec));
