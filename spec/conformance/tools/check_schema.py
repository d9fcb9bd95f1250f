"""Checks every spec file (profiles.json, service.json, and each API directory's protocol.json,
errors.json, attributes.json and actions/*.json) against spec/schema.json.

The generator's typed spec is the authority (it refuses unknown keys and lints meaning); the
schema is for editors and this check keeps it in step. Needs `jsonschema` (Draft 2020-12).

    python3 spec/conformance/tools/check_schema.py
"""

import glob
import json
import os
import sys

import jsonschema

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def files():
    for f in ["profiles.json", "service.json"]:
        yield os.path.join(SPEC, f)
    for api in sorted(os.listdir(SPEC)):
        d = os.path.join(SPEC, api)
        if not os.path.isfile(os.path.join(d, "protocol.json")):
            continue
        for f in ["protocol.json", "errors.json", "attributes.json"]:
            yield os.path.join(d, f)
        yield from sorted(glob.glob(os.path.join(d, "actions", "*.json")))


def main():
    with open(os.path.join(SPEC, "schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    n = 0
    for path in files():
        n += 1
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = list(validator.iter_errors(doc))
        if errors:
            bad += 1
            best = jsonschema.exceptions.best_match(errors)
            where = "/".join(str(p) for p in best.absolute_path)
            print(f"{os.path.relpath(path, SPEC)}: {where}: {best.message}")
    print(f"{n} spec files, {bad} against the schema")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
