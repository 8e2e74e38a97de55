const http = require('http');
const { onStop } = require("./lib/shutdown");

const server = http.createServer((req, res) => res.end('ok'));
server.listen(8080);
onStop(server);
