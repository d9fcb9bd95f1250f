#!/usr/bin/env python3
"""Writes ../requests.v3.json: one signed API 3.0 request per action, computed by Tencent's
official Python signer (`tencentcloud-sdk-python-common`), never by the code under test.

    python3 -m venv /tmp/tc3 && /tmp/tc3/bin/pip install tencentcloud-sdk-python-common==3.1.195
    /tmp/tc3/bin/python spec/conformance/tools/requests_v3.py   # rewrites spec/conformance/requests.v3.json

Each case is a typed request of one action as the SDK would send it: the `input` (a JSON object
of the action's parameters, nested models included), and the exact body the SDK serialises it
to (compact JSON, members in the spec's order, raw UTF-8, unset members left out). The body's
member order is read from `spec/v3/` (the facts), not from the SDK. The official client then
signs that body: `AbstractClient._build_req_with_tc3_signature` gives the headers and the
`Authorization`; the canonical request and the string to sign are recorded while it runs, as in
`tc3_vectors.py`. The SDK's conformance test builds the typed request from `input`, signs it with
the case's clock, and must produce the same body, headers and signature.

Versions 3.1.130 and 3.1.195 of the common package are byte-identical but for `__version__`.
"""
import glob
import hashlib
import json
import os
import sys

# This folder holds requests.py, which would shadow the `requests` package the official SDK imports.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

import tencentcloud  # noqa: E402
from tencentcloud.common import abstract_client, credential  # noqa: E402
from tencentcloud.common.http.request import RequestInternal  # noqa: E402
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402
from tencentcloud.common.sign import Sign  # noqa: E402

PINNED = ("3.1.130", "3.1.195")
ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
SPEC = os.path.join(HERE, "..", "..", "v3")

DEFAULT = {"host": "tdmq.tencentcloudapi.com", "scheme": "https", "region": "ap-guangzhou", "timestamp": 1700000000}

# One request per action; a few vary the host, region, token, language and clock.
CASES = {
    "CreateCmqQueue": {"input": {
        "QueueName": "orders_v3", "MaxMsgHeapNum": 10000000, "PollingWaitSeconds": 3, "VisibilityTimeout": 45,
        "MaxMsgSize": 65536, "MsgRetentionSeconds": 3600, "RewindSeconds": 0, "Transaction": 0,
        "FirstQueryInterval": 0, "MaxQueryCount": 0, "DeadLetterQueueName": "orders-dlq", "Policy": 0,
        "MaxReceiveCount": 50, "MaxTimeToLive": 300, "Trace": False,
        "Tags": [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "payments"}],
        "RetentionSizeInMB": 0}, "token": "sts-token-3f1c0a"},
    "DeleteCmqQueue": {"input": {"QueueName": "orders"}, "host": "tdmq.ap-shanghai.tencentcloudapi.com", "region": "ap-shanghai"},
    "DescribeCmqQueues": {"input": {"Offset": 20, "Limit": 20, "QueueName": "ord", "QueueNameList": ["a", "b"],
                                    "IsTagFilter": True, "Filters": [{"Name": "tag:env", "Values": ["prod", "staging"]}]}},
    "DescribeCmqQueueDetail": {"input": {"QueueName": "orders"}, "language": "en-US"},
    "ModifyCmqQueueAttribute": {"input": {"QueueName": "orders", "VisibilityTimeout": 120, "MsgRetentionSeconds": 43200,
                                          "RewindSeconds": 86400, "MaxTimeToLive": 600, "MaxReceiveCount": 3, "Policy": 1,
                                          "Trace": True, "Transaction": 1, "RetentionSizeInMB": 10240}},
    "RewindCmqQueue": {"input": {"QueueName": "orders", "StartConsumeTime": 1700000000000}},
    "ClearCmqQueue": {"input": {"QueueName": "orders"}, "timestamp": 1735689599},
    "UnbindCmqDeadLetter": {"input": {"SourceQueueName": "orders"}, "timestamp": 1735689600},
    "SendCmqMsg": {"input": {"QueueName": "orders", "MsgContent": "h\u00e9llo \u4e16\u754c \U0001F600 \"q\" a&b=c", "DelaySeconds": 0},
                   "host": "127.0.0.1:8641", "scheme": "http"},
    "CreateCmqTopic": {"input": {"TopicName": "events", "MaxMsgSize": 65536, "FilterType": 2, "MsgRetentionSeconds": 86400,
                                 "Trace": True, "Tags": [{"TagKey": "env", "TagValue": "prod"}]}},
    "DeleteCmqTopic": {"input": {"TopicName": "events"}},
    "DescribeCmqTopics": {"input": {"Offset": 0, "Limit": 50, "TopicName": "ev", "TopicNameList": ["events"]}},
    "DescribeCmqTopicDetail": {"input": {"TopicName": "events"}, "region": "ap-beijing"},
    "ModifyCmqTopicAttribute": {"input": {"TopicName": "events", "MaxMsgSize": 1048576, "MsgRetentionSeconds": 3600, "Trace": False}},
    "PublishCmqMsg": {"input": {"TopicName": "events", "MsgContent": "user created", "MsgTag": ["users", "eu"]}},
    "CreateCmqSubscribe": {"input": {"TopicName": "events", "SubscriptionName": "audit", "Protocol": "queue",
                                     "Endpoint": "audit-queue", "NotifyStrategy": "EXPONENTIAL_DECAY_RETRY",
                                     "FilterTag": ["users"], "BindingKey": ["order.*", "user.#"], "NotifyContentFormat": "SIMPLIFIED"}},
    "DeleteCmqSubscribe": {"input": {"TopicName": "events", "SubscriptionName": "audit"}},
    "DescribeCmqSubscriptionDetail": {"input": {"TopicName": "events", "Offset": 0, "Limit": 0, "SubscriptionName": "aud",
                                                "QueueName": "audit-queue", "QueryType": "topic"}},
    "ModifyCmqSubscriptionAttribute": {"input": {"TopicName": "events", "SubscriptionName": "audit", "NotifyStrategy": "BACKOFF_RETRY",
                                                 "NotifyContentFormat": "JSON", "FilterTags": ["a", "b"], "BindingKey": ["x.#"]}},
    "ClearCmqSubscriptionFilterTags": {"input": {"TopicName": "events", "SubscriptionName": "audit"}},
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


ATTRS = load(os.path.join(SPEC, "attributes.json"))
ACTIONS = {os.path.basename(p)[:-5]: load(p) for p in glob.glob(os.path.join(SPEC, "actions", "*.json"))}


def wire_of(use):
    """The JSON key and the model of an action's parameter, from the spec."""
    shared = ATTRS["params"].get(use.get("ref", ""), {})
    return use.get("wire", shared.get("wire")), use.get("shape", shared.get("shape"))


def ordered(value, shape):
    """`value` with an object's members in the model's order (lists item by item)."""
    if isinstance(value, list):
        return [ordered(v, shape) for v in value]
    if shape is None or not isinstance(value, dict):
        return value
    keys = [f["key"] for f in ATTRS["shapes"][shape]["fields"]]
    assert set(value) <= set(keys), f"{shape}: unknown members {set(value) - set(keys)}"
    return {k: value[k] for k in keys if k in value}


def body_of(action, given):
    """The body the SDK sends: members in the spec's order, compact, raw UTF-8."""
    params = [wire_of(u) for u in ACTIONS[action]["params"]]
    known = {w for w, _ in params}
    assert set(given) <= known, f"{action}: unknown parameters {set(given) - known}"
    obj = {w: ordered(given[w], shape) for w, shape in params if w in given}
    return obj, json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


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


def sign(case, body):
    cred = credential.Credential(ID, KEY, case.get("token"))
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=HttpProfile(endpoint=case["host"]))
    profile.language = case.get("language")
    client = TdmqClient(cred, case["region"], profile)
    hashes = Recorder(hashlib, "sha256")
    signed = []
    official = Sign.sign_tc3

    def recording(secret_key, date, service, str2sign):
        signed.append(str2sign)
        return official(secret_key, date, service, str2sign)

    saved = (abstract_client.hashlib, abstract_client.time, abstract_client.json, Sign.sign_tc3)
    try:
        abstract_client.hashlib = hashes
        abstract_client.time = FixedClock(case["timestamp"])
        abstract_client.json = FixedJson(body)
        Sign.sign_tc3 = staticmethod(recording)
        req = RequestInternal(case["host"], "POST", "/", header={})
        client._build_req_with_tc3_signature(case["action"], json.loads(body), req)
    finally:
        (abstract_client.hashlib, abstract_client.time, abstract_client.json, Sign.sign_tc3) = saved
    assert req.data == body, "the body sent is the case's body"
    canonical = hashes.calls[1][0].decode("utf-8")
    auth = req.header["Authorization"]
    return {
        "headers": {k: v for k, v in sorted(req.header.items()) if k != "X-TC-RequestClient"},
        "body": body,
        "canonical_request": canonical,
        "string_to_sign": signed[0],
        "signature": auth.rsplit("Signature=", 1)[1],
        "authorization": auth,
    }


def run(action, spec):
    case = dict(DEFAULT, action=action, **spec)
    obj, body = body_of(action, case["input"])
    out = {
        "name": f"{action} (client)",
        "action": action,
        "input": obj,
        "scheme": case["scheme"],
        "host": case["host"],
        "region": case["region"],
        "token": case.get("token"),
        "language": case.get("language"),
        "timestamp": case["timestamp"],
        "secret_id": ID,
        "secret_key": KEY,
    }
    out["expected"] = sign(case, body)
    return out


def main():
    version = tencentcloud.__version__
    if version not in PINNED:
        sys.exit(f"tencentcloud-sdk-python-common {version} found; pin one of {PINNED}")
    missing = set(ACTIONS) - set(CASES)
    if missing:
        sys.exit(f"no case for {sorted(missing)}")
    out = {
        "generated_by": "spec/conformance/tools/requests_v3.py",
        "signer": "tencentcloud-sdk-python-common (tencentcloud.common.abstract_client, tencentcloud.common.sign)",
        "note": "API 3.0 request cases: the typed input, the exact body, headers and TC3-HMAC-SHA256 signature Tencent's official Python signer computes. Do not edit by hand: rerun the tool.",
        "cases": [run(a, CASES[a]) for a in sorted(CASES)],
    }
    path = os.path.join(HERE, "..", "requests.v3.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
