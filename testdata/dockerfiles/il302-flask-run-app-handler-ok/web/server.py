import signal
import sys

from flask import Flask


def create_app():
    # Exit cleanly on docker stop, which python ignores by default as PID 1.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = Flask(__name__)

    @app.get("/")
    def index():
        return "ok\n"

    return app
