// A heap-churning Node.js service on loopback: an HTTP server whose handler builds and drops
// objects, strings and buffers, and a client in the same process sending a bounded number of
// requests. V8's GC maps, unmaps and madvise(DONTNEED)s its heap pages as it goes.
const http = require('node:http');
const REQUESTS = 300;
const server = http.createServer((req, res) => {
  const rows = [];
  for (let i = 0; i < 2000; i++) rows.push({ id: i, name: `row-${i}-${req.url}`, tags: [i % 7, i % 11], blob: 'x'.repeat(64) });
  const big = Buffer.alloc(256 * 1024, req.url.length);
  res.end(JSON.stringify({ n: rows.length, sum: big[0] + rows[rows.length - 1].id }));
});
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  let total = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const body = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/item/${i}` }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    total += JSON.parse(body).n;
  }
  console.log(total);
  server.close();
});
