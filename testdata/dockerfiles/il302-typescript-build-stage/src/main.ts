import http from "node:http";
// process.on('SIGTERM', …) would close the server: not done here.
const server = http.createServer((_req, res) => res.end("ok"));
server.listen(3000);
