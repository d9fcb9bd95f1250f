#!/usr/bin/env python3
"""Writes ../requests.json: hand-written request cases with expectations computed here, with
Python's hmac/hashlib/base64 and the algorithm of the reference (cmq-api-2.0.md §4), never with
the code under test.

    python3 spec/conformance/tools/requests.py      # rewrites spec/conformance/requests.json

`via: "sign"` cases give every parameter (common ones included) and check the signing functions;
`via: "client"` cases give an action's wire parameters and check what the SDK client adds (Action,
Nonce, Timestamp, SecretId, SignatureMethod, RequestClient, then Token/Region when configured, and
Signature), the string to sign and the signature.
"""
import base64
import hashlib
import hmac
import json
import os
import re

DOC_KEY = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx"
DOC_ID = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT"
DOC_HOST = "cmq-queue-gz.api.tencentyun.com"
PATH = "/v2/index.php"
DOC_PARAMS = [  # the reference's example, deliberately not sorted
    ["queueName", "test1"], ["msgBody", "msg"], ["Timestamp", "1534154812"],
    ["SignatureMethod", "HmacSHA1"], ["Nonce", "2889712707386595659"], ["delaySeconds", "0"],
    ["Action", "SendMessage"], ["clientRequestId", "1231231231"], ["SecretId", DOC_ID],
    ["RequestClient", "SDK_Python_1.3"],
]


def string_to_sign(method, host, path, params):
    """§4: every parameter but Signature, sorted by original name (byte order, stable), raw
    values, `_` in names written as `.`, joined with `&`, prefixed with METHOD+host+path+`?`."""
    pairs = [(k, v) for k, v in params if k != "Signature"]
    pairs.sort(key=lambda kv: kv[0].encode("utf-8"))
    body = "&".join(k.replace("_", ".") + "=" + v for k, v in pairs)
    return method + host + path + "?" + body


def sign(key, method, sts):
    digest = hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1
    mac = hmac.new(key.encode("utf-8"), sts.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode("ascii")


def sorted_pairs(params):
    return sorted(([k, v] for k, v in params), key=lambda kv: kv[0].encode("utf-8"))


def sign_case(name, params, method="POST", host=DOC_HOST, path=PATH, key=DOC_KEY, sig=None,
              source=None):
    sig_method = dict(params).get("SignatureMethod", "HmacSHA1")
    sts = string_to_sign(method, host, path, params)
    case = {
        "name": name, "via": "sign", "params": params, "method": method, "host": host,
        "path": path, "secret_key": key, "signature_method": sig_method,
        "expected": {"params": sorted_pairs(params), "string_to_sign": sts,
                     "signature": sign(key, sig_method, sts)},
    }
    if sig is not None:
        assert case["expected"]["signature"] == sig, (name, case["expected"]["signature"], sig)
    if source:
        case["source"] = source
    return case


def client_case(name, action, inp, method="POST", scheme="https", host="cmq-gz.public.tencenttdmq.com",
                path=PATH, timestamp=1700000000, nonce=1, secret_id="AKIDconformance000001",
                secret_key="conformance-secret-key-0001", signature_method="HmacSHA1",
                request_client="SDK_Rust_conformance", token=None, region=None):
    params = [[k, v] for k, v in inp.items()]
    params += [["Action", action], ["Nonce", str(nonce)], ["Timestamp", str(timestamp)],
               ["SecretId", secret_id], ["SignatureMethod", signature_method],
               ["RequestClient", request_client]]
    if token is not None:
        params.append(["Token", token])
    if region is not None:
        params.append(["Region", region])
    sts = string_to_sign(method, host, path, params)
    sig = sign(secret_key, signature_method, sts)
    case = {
        "name": name, "via": "client", "action": action, "input": inp, "method": method,
        "scheme": scheme, "host": host, "path": path, "timestamp": timestamp, "nonce": nonce,
        "secret_id": secret_id, "secret_key": secret_key, "signature_method": signature_method,
        "request_client": request_client,
    }
    if token is not None:
        case["token"] = token
    if region is not None:
        case["region"] = region
    case["expected"] = {"params": sorted_pairs(params + [["Signature", sig]]),
                        "string_to_sign": sts, "signature": sig}
    return case


def doc_with(method):
    return [[k, method if k == "SignatureMethod" else v] for k, v in DOC_PARAMS]


CASES = [
    sign_case("reference §4 vector, POST, HmacSHA1", doc_with("HmacSHA1"),
              sig="C16WEtEXsD5v5tnaUMLAbZewXhI=", source="ref §4 (Tencent's doc example)"),
    sign_case("reference §4 vector, GET, HmacSHA1", doc_with("HmacSHA1"), method="GET",
              sig="fkR3mzm6NfEbQqgF0B+Fd4rFLtM=", source="ref §4"),
    sign_case("reference §4 vector, POST, HmacSHA256", doc_with("HmacSHA256"),
              sig="7aNNVzszJftqWPLvvnHU3lDznBYFPof7ACkTD3OJUu4=", source="ref §4"),
    sign_case("names: byte order (upper case first, msgBody.10 before msgBody.2), `_` written as `.` after sorting",
              [["msgBody.2", "b"], ["msgBody.10", "j"], ["msgBody.1", "a"], ["Z_z", "under"],
               ["Z.a", "dot"], ["a", "lower"], ["B", "upper"], ["Action", "BatchSendMessage"],
               ["SignatureMethod", "HmacSHA256"]],
              host="127.0.0.1:8641", key="k"),
    sign_case("raw values: `&`, `=`, `+`, `%`, spaces, new lines, `@` and UTF-8 are signed as they are",
              [["msgBody", "a&b=c+d%20e f\nline2 — ✓ é"], ["routingKey", "@not.a.file"],
               ["Action", "PublishMessage"], ["topicName", "t"], ["Nonce", "7"],
               ["Timestamp", "1700000000"], ["SecretId", "AKIDx"]],
              host="cmq-gz.public.tencenttdmq.com", key="sécret"),
    sign_case("an existing Signature parameter is not signed; an empty value is",
              [["Signature", "ignored="], ["searchWord", ""], ["Action", "ListQueue"]],
              method="GET", host="localhost:9000", key="key"),
]

DLQ = '{"deadLetterQueue":"orders-dlq","policy":0,"maxReceiveCount":5}'
CLIENT = [
    ("BatchDeleteMessage", {"queueName": "orders", "receiptHandle.1": "283748239349283",
                            "receiptHandle.2": "283748239349284"}, {}),
    ("BatchPublishMessage", {"topicName": "events", "msgBody.1": "a", "msgBody.2": "b",
                             "msgTag.1": "red", "msgTag.2": "blue", "routingKey": "a.b.c"},
     {"signature_method": "HmacSHA256"}),
    ("BatchReceiveMessage", {"queueName": "orders", "numOfMsg": "16", "pollingWaitSeconds": "30"},
     {"method": "GET"}),
    ("BatchSendMessage", {"queueName": "orders", **{f"msgBody.{i}": f"m{i}" for i in range(1, 12)},
                          "delaySeconds": "5"}, {"nonce": 2889712707386595659}),
    ("ClearSubscriptionFilterTags", {"topicName": "events", "subscriptionName": "audit"}, {}),
    ("CreateQueue", {"queueName": "orders", "maxMsgHeapNum": "1000000", "pollingWaitSeconds": "10",
                     "visibilityTimeout": "60", "maxMsgSize": "1048576",
                     "msgRetentionSeconds": "1296000", "rewindSeconds": "3600",
                     "deadLetterPolicy": DLQ},
     {"scheme": "http", "host": "127.0.0.1:8641"}),
    ("CreateTopic", {"topicName": "events", "maxMsgSize": "65536", "filterType": "2"}, {}),
    ("DeleteMessage", {"queueName": "orders", "receiptHandle": "rh:1%2F+x"}, {}),
    ("DeleteQueue", {"queueName": "orders"}, {"method": "GET", "signature_method": "HmacSHA256"}),
    ("DeleteTopic", {"topicName": "events"}, {}),
    ("GetQueueAttributes", {"queueName": "orders"}, {"token": "sts-token-1"}),
    ("GetSubscriptionAttributes", {"topicName": "events", "subscriptionName": "audit"},
     {"region": "gz"}),
    ("GetTopicAttributes", {"topicName": "events"}, {"host": "cmq-topic-gz.api.tencentyun.com"}),
    ("ListDeadLetterSourceQueues", {"deadLetterQueueName": "orders-dlq", "searchWord": "ord",
                                    "offset": "0", "limit": "50"}, {}),
    ("ListQueue", {"searchWord": "ord ers", "offset": "20", "limit": "20"}, {"method": "GET"}),
    ("ListSubscriptionByTopic", {"topicName": "events", "searchWord": "a", "offset": "1000",
                                 "limit": "100"}, {}),
    ("ListTopic", {"searchWord": "ev", "offset": "0", "limit": "1"}, {}),
    ("PublishMessage", {"topicName": "events", "msgBody": "héllo & wörld = ✓", "msgTag.1": "red",
                        "routingKey": ""}, {"signature_method": "HmacSHA256"}),
    ("QueryQueueRoute", {"queueName": "orders"}, {"method": "GET"}),
    ("QueryTopicRoute", {"topicName": "events"}, {"method": "GET"}),
    ("ReceiveMessage", {"queueName": "orders", "pollingWaitSeconds": "0"}, {}),
    ("RewindQueue", {"queueName": "orders", "startConsumeTime": "1699990000"}, {}),
    ("SendMessage", {"queueName": "orders", "msgBody": "@starts-with-at\nand a new line",
                     "delaySeconds": "3600"}, {"scheme": "http", "host": "localhost:8641"}),
    ("SetQueueAttributes", {"queueName": "orders", "maxMsgHeapNum": "1000000000",
                            "visibilityTimeout": "1", "msgRetentionSeconds": "86400",
                            "rewindSeconds": "60",
                            "deadLetterPolicy": '{"deadLetterQueue":"orders-dlq","policy":1,"maxTimeToLive":300}'},
     {"signature_method": "HmacSHA256"}),
    ("SetSubscriptionAttributes", {"topicName": "events", "subscriptionName": "audit",
                                   "notifyStrategy": "BACKOFF_RETRY",
                                   "notifyContentFormat": "SIMPLIFIED", "filterTag.1": "red",
                                   "bindingKey.1": "a.*.c", "bindingKey.2": "#"}, {}),
    ("SetTopicAttributes", {"topicName": "events", "maxMsgSize": "1024"}, {}),
    ("Subscribe", {"topicName": "events", "subscriptionName": "audit", "protocol": "http",
                   "endpoint": "http://example.com/push?a=1&b=2",
                   "notifyStrategy": "EXPONENTIAL_DECAY_RETRY", "notifyContentFormat": "JSON",
                   "filterTag.1": "red", "filterTag.2": "blue"}, {"timestamp": 1534154812}),
    ("UnbindDeadLetterQueue", {"queueName": "orders"}, {}),
    ("Unsubscribe", {"topicName": "events", "subscriptionName": "audit"},
     {"request_client": "SDK_Python_1.3"}),
]

for i, (action, inp, opts) in enumerate(CLIENT):
    opts = dict(opts)
    opts.setdefault("nonce", 1000 + i)
    label = ", ".join(f"{k} {v}" for k, v in sorted(opts.items()) if k != "nonce")
    CASES.append(client_case(f"client: {action}" + (f" ({label})" if label else ""), action, inp,
                             **opts))

doc = {
    "$comment": "Request cases. Written by tools/requests.py, which computes every expectation "
                "with Python's hmac/hashlib/base64 (ref §4), independently of the code under "
                "test. Edit the script, not this file. Format: spec/README.md, section "
                "Conformance corpus.",
    "cases": CASES,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "requests.json")
text = json.dumps(doc, ensure_ascii=False, indent=2)
# A [name, value] pair on one line.
STR = r'"(?:[^"\\]|\\.)*"'
text = re.sub(r"\[\s*(" + STR + r"),\s*(" + STR + r")\s*\]", r"[\1, \2]", text)
with open(out, "w", encoding="utf-8") as f:
    f.write(text + "\n")
print(f"wrote {len(CASES)} cases to {os.path.normpath(out)}")
