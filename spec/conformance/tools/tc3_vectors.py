#!/usr/bin/env python3
"""Writes ../tc3_vectors.json: known answers for TC3-HMAC-SHA256 (Tencent Cloud API 3.0),
computed by Tencent's official Python signer, never by the code under test.

    python3 -m venv /tmp/tc3 && /tmp/tc3/bin/pip install tencentcloud-sdk-python-common==3.1.195
    /tmp/tc3/bin/python spec/conformance/tools/tc3_vectors.py   # rewrites spec/conformance/tc3_vectors.json

The committed file was written with Python 3.11.7; the output does not depend on the Python
version (CI recomputes it and fails on any difference).

Each case runs the official `AbstractClient._build_req_with_tc3_signature` (headers, canonical
request, string to sign, `Authorization`), which calls `Sign.sign_tc3` (key derivation and
signature) from `tencentcloud.common.sign`. Nothing of the algorithm is re-implemented here; the
intermediate values are *recorded* while the official code runs:

* the canonical request: the argument of the official code's second `hashlib.sha256` call (the
  first hashes the payload);
* the string to sign: the argument of `Sign.sign_tc3`;
* the signing key: the key of the last `hmac.new` call inside `Sign.sign_tc3`.

Two things are fixed instead of taken from the environment: the clock (`time.time`, so each case
has its own timestamp) and the body. The official client serialises with `json.dumps`, which
escapes non-ASCII characters and puts spaces after separators; a case states the exact body bytes
a client sends (the Rust SDK's serde_json writes raw UTF-8), so `json.dumps` returns that text.
"""
import hashlib
import hmac
import json
import os
import sys

# This folder holds requests.py, which would shadow the `requests` package the official SDK imports.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import tencentcloud  # noqa: E402
from tencentcloud.common import abstract_client, credential  # noqa: E402
from tencentcloud.common.http.request import RequestInternal  # noqa: E402
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402
from tencentcloud.common.sign import Sign  # noqa: E402

PINNED = "3.1.195"
ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"

CASES = [
    {
        "name": "empty body, default host, no token",
        "host": "tdmq.tencentcloudapi.com", "region": "ap-guangzhou",
        "action": "DescribeCmqQueues", "timestamp": 1700000000, "body": "{}",
    },
    {
        "name": "queue creation, regional host, STS token",
        "host": "tdmq.ap-shanghai.tencentcloudapi.com", "region": "ap-shanghai",
        "action": "CreateCmqQueue", "timestamp": 1751328000, "token": "sts-token-3f1c0a",
        "body": '{"QueueName":"orders","MaxMsgHeapNum":1000000,"VisibilityTimeout":30,"RewindSeconds":0}',
    },
    {
        "name": "unicode body sent as raw UTF-8, X-TC-Language",
        "host": "tdmq.tencentcloudapi.com", "region": "ap-guangzhou", "language": "zh-CN",
        "action": "SendCmqMsg", "timestamp": 1710000000,
        "body": '{"QueueName":"q","MsgContent":"h\u00e9llo \u4e16\u754c \U0001F600 a&b=c+d%20e \\"quoted\\"","DelaySeconds":0}',
    },
    {
        "name": "one second before midnight UTC",
        "host": "tdmq.tencentcloudapi.com", "region": "ap-beijing",
        "action": "DeleteCmqQueue", "timestamp": 1735689599, "body": '{"QueueName":"old"}',
    },
    {
        "name": "midnight UTC (the date changes)",
        "host": "tdmq.tencentcloudapi.com", "region": "ap-beijing",
        "action": "DeleteCmqQueue", "timestamp": 1735689600, "body": '{"QueueName":"old"}',
    },
    {
        "name": "nested lists, host with a port (a local emulator), token",
        "host": "127.0.0.1:8641", "region": "ap-guangzhou", "token": "tok/+=",
        "action": "DescribeCmqQueues", "timestamp": 1767225599,
        "body": '{"Offset":0,"Limit":20,"QueueNameList":["a","b"],"Filters":[{"Name":"tag:env","Values":["prod"]}]}',
    },
]


class Recorder:
    """Wraps a module, forwarding everything, and records the arguments of one function."""

    def __init__(self, module, name):
        self._module, self._name, self.calls = module, name, []

    def __getattr__(self, attr):
        target = getattr(self._module, attr)
        if attr != self._name:
            return target

        def wrapper(*args, **kwargs):
            self.calls.append(args)
            return target(*args, **kwargs)

        return wrapper


class FixedClock:
    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


class FixedJson:
    """`json` with `dumps` returning the case's exact body."""

    def __init__(self, body):
        self.body = body

    def dumps(self, _obj, *args, **kwargs):
        return self.body

    def __getattr__(self, attr):
        return getattr(json, attr)


class TdmqClient(abstract_client.AbstractClient):
    _apiVersion = "2020-02-17"
    _endpoint = "tdmq.tencentcloudapi.com"
    _service = "tdmq"


def run(case):
    cred = credential.Credential(ID, KEY, case.get("token"))
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=HttpProfile(endpoint=case["host"]))
    # The official client sends X-TC-Language (default zh-CN); a case without a language sends none.
    profile.language = case.get("language")
    client = TdmqClient(cred, case["region"], profile)

    hashes = Recorder(hashlib, "sha256")
    sign_calls = []
    hmac_calls = []
    official_sign_tc3 = Sign.sign_tc3
    official_hmac_new = hmac.new

    def recording_sign_tc3(secret_key, date, service, str2sign):
        sign_calls.append((date, service, str2sign))
        return official_sign_tc3(secret_key, date, service, str2sign)

    def recording_hmac_new(key, msg=None, digestmod=""):
        hmac_calls.append(key)
        return official_hmac_new(key, msg, digestmod)

    saved = (abstract_client.hashlib, abstract_client.time, abstract_client.json, Sign.sign_tc3, hmac.new)
    try:
        abstract_client.hashlib = hashes
        abstract_client.time = FixedClock(case["timestamp"])
        abstract_client.json = FixedJson(case["body"])
        Sign.sign_tc3 = staticmethod(recording_sign_tc3)
        hmac.new = recording_hmac_new
        req = RequestInternal(case["host"], "POST", "/", header={})
        client._build_req_with_tc3_signature(case["action"], json.loads(case["body"]), req)
    finally:
        (abstract_client.hashlib, abstract_client.time, abstract_client.json, Sign.sign_tc3, hmac.new) = saved

    assert req.data == case["body"], "the body sent is the case's body"
    payload, canonical = (c[0] for c in hashes.calls)
    canonical = canonical.decode("utf-8")
    date, service, string_to_sign = sign_calls[0]
    signing_key = hmac_calls[-1]
    auth = req.header["Authorization"]
    signature = auth.rsplit("Signature=", 1)[1]
    return {
        "name": case["name"],
        "secret_id": ID,
        "secret_key": KEY,
        "token": case.get("token"),
        "region": case["region"],
        "language": case.get("language"),
        "host": case["host"],
        "action": case["action"],
        "version": TdmqClient._apiVersion,
        "service": service,
        "timestamp": case["timestamp"],
        "body": case["body"],
        "expected": {
            "headers": {k: v for k, v in sorted(req.header.items()) if k != "X-TC-RequestClient"},
            "payload_hash": hashlib.sha256(payload).hexdigest(),
            "canonical_request": canonical,
            "date": date,
            "string_to_sign": string_to_sign,
            "signing_key_hex": signing_key.hex(),
            "signature": signature,
            "authorization": auth,
        },
    }


def main():
    version = tencentcloud.__version__
    if version != PINNED:
        sys.exit(f"tencentcloud-sdk-python-common {version} found; pin {PINNED}")
    out = {
        "generated_by": "spec/conformance/tools/tc3_vectors.py",
        "signer": f"tencentcloud-sdk-python-common=={version} (tencentcloud.common.abstract_client, tencentcloud.common.sign)",
        "note": "Known answers for TC3-HMAC-SHA256 computed by Tencent's official Python signer. Do not edit by hand: rerun the tool.",
        "cases": [run(c) for c in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tc3_vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
