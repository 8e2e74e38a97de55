import http from "node:http";
const server = http.createServer((_req, res) => res.end("ok"));
server.listen(3000);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
