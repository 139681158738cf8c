// The naive Node.js peer that scripts/bench.sh compares postgres-do with: an afternoon's HTTP
// server on node-postgres. POST a JSON body {"sql", "params"}; the answer is {rowCount, rows}.
//   PORT=8099 DATABASE_URL=postgresql://... node server.js
'use strict';
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE || 10) /* node-postgres' default */ });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const { sql, params } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      // Naive on purpose: an unnamed extended-protocol query, as most node-postgres code does.
      const result = await pool.query(sql, params || []);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ rowCount: result.rowCount, rows: result.rows }));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err.message) } }));
    }
  });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`peer listening on 127.0.0.1:${process.env.PORT}`));
process.on('SIGTERM', () => {
  server.close(() => pool.end().then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref(); // idle keep-alive sockets must not hold the exit
});
