const http = require('http');
const srv = http.createServer((q, s) => s.end('ok')).listen(8080);
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
