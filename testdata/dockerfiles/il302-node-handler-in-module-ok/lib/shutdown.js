exports.onStop = (server) => {
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
};
