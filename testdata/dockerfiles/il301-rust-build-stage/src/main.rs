#[tokio::main]
async fn main() {
    // Ctrl-C in a terminal: SIGINT only. `docker stop` sends SIGTERM.
    tokio::signal::ctrl_c().await.expect("ctrl-c");
    // A comment is no handler: signal(SignalKind::terminate())
}
