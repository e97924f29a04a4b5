"""Write ``openapi.yaml`` from the running app: ``python -m api.openapi [path]``."""

from __future__ import annotations

import sys
import tempfile

import yaml

from . import create_app
from .rest import api


def swagger_document() -> dict:
    with tempfile.TemporaryDirectory() as var:
        app = create_app({"env": "testing", "var_dir": var, "jwt_signing_key": "x" * 64})
        with app.test_request_context():
            # A JSON round trip turns restx's ordered structures into plain data.
            return app.json.loads(app.json.dumps(api.__schema__))


def render() -> str:
    return yaml.safe_dump(swagger_document(), allow_unicode=True, sort_keys=True, width=100)


def main(argv: list[str]) -> None:
    path = argv[1] if len(argv) > 1 else "openapi.yaml"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render())
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv)
