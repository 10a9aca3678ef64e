"""Studio's entry point.

`flask --app app run` serves the app; `python app.py` is the one-command start for a new machine:
it applies migrations, seeds demo data into an empty database, starts the background jobs and
serves http://127.0.0.1:5000.
"""
import gc
import os

from studio import create_app

app = create_app()
# What start-up made (the app, its routes, templates, mappers) lives as long as the process: keep
# the garbage collector's full passes from walking it again on every few hundred requests.
gc.freeze()


def main():
    from flask_migrate import upgrade

    from studio import start_scheduler
    from studio.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    with app.app_context():
        upgrade()
        seed_demo()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    if not (app.config.get("SANDBOX_BASE_URL") or app.config.get("PUBLIC_URL")):
        app.config["SANDBOX_BASE_URL"] = f"http://{host}:{port}"  # the studio calls its own sandbox here
    start_scheduler(app)
    print(f"\n  Studio is running at http://{host}:{port}/")
    print(f"  Demo log-in: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    print(f"  A client's portal: rosa@example.com / {DEMO_PASSWORD}\n", flush=True)
    app.run(host=host, port=port, threaded=True)


if __name__ == "__main__":
    main()
