import os

# Migrations would run here; then the server replaces this process.
os.execvp("gunicorn", ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"])
