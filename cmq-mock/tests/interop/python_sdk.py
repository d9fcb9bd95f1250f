#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Interop check: Tencent's own Python SDK (qcloud-cmq-sdk-py3 0.1, module `cmq`) against cmq-mock.

Usage: python_sdk.py ENDPOINT SECRET_ID SECRET_KEY sha1|sha256 POST|GET
       (ENDPOINT is http://127.0.0.1:PORT, the mock's address; strict limits expected)
       python_sdk.py --probe      (exit 0 iff this Python can import the SDK)

It drives every queue, topic and subscription operation the SDK exposes, through the SDK's own
classes, and asserts exact values. It prints one line per check, then `N passed, M failed`, and
exits non-zero if any check failed (the traceback of each failure is printed under its line).
`cmq-mock/tests/python_interop.rs` runs it against an in-process mock.

What the SDK reads leniently (`rewindmsgNum`, `protocal`, `filterTags`) is checked through the
SDK's objects; the raw answers (the SDK's CMQClient methods return the parsed JSON) are checked
for the reference's verdict keys (`rewindMsgNum`, `protocol`, `filterTags`) as well.
"""

import http.server
import json
import os
import random
import shutil
import string
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import warnings

PROBE = sys.argv[1:] == ["--probe"]
if not PROBE and (len(sys.argv) != 6 or sys.argv[4] not in ("sha1", "sha256")
                  or sys.argv[5] not in ("POST", "GET")):
    sys.stderr.write(__doc__)
    sys.exit(2)

# cmq/subscription.py does `from mailcap import subst` and never uses it; mailcap is deprecated
# since Python 3.11 and gone in 3.13: provide an empty stand-in where it is missing.
warnings.filterwarnings("ignore", category=DeprecationWarning)
try:
    import mailcap  # noqa: F401
except ImportError:
    import types

    sys.modules["mailcap"] = types.ModuleType("mailcap")
    sys.modules["mailcap"].subst = None

if PROBE:  # `python_sdk.py --probe`: can this Python run the script at all?
    import cmq.account  # noqa: F401
    import cmq.subscription  # noqa: F401

    sys.exit(0)

ENDPOINT, SECRET_ID, SECRET_KEY, SIGN, METHOD = sys.argv[1:]

# The SDK's logger appends to ./CMQ_python_sdk.log: keep it out of the caller's directory.
WORKDIR = tempfile.mkdtemp(prefix="cmq-python-interop-")
os.chdir(WORKDIR)

from cmq.account import Account  # noqa: E402
from cmq.cmq_exception import CMQServerException  # noqa: E402
from cmq.queue import Message, QueueMeta  # noqa: E402
from cmq.subscription import SubscriptionMeta  # noqa: E402
from cmq.topic import Message as TopicMessage  # noqa: E402
from cmq.topic import TopicMeta  # noqa: E402

SFX = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
SIGNATURE_METHOD = {"sha1": "HmacSHA1", "sha256": "HmacSHA256"}[SIGN]


# ------------------------------------------------------------------------------ check machinery

class Results:
    passed = 0
    failed = 0


def check(name):
    """Runs the decorated function at once as one named check."""

    def run(fn):
        try:
            fn()
        except Exception:  # noqa: BLE001 - every failure is reported, then the run goes on
            Results.failed += 1
            print("FAIL %s" % name)
            traceback.print_exc(file=sys.stdout)
        else:
            Results.passed += 1
            print("ok   %s" % name)
        sys.stdout.flush()
        return fn

    return run


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def between(value, lo, hi, what):
    if not (lo <= value <= hi):
        raise AssertionError("%s: expected %r..=%r, got %r" % (what, lo, hi, value))


def is_int(value, what):
    if type(value) is not int:
        raise AssertionError("%s: expected a JSON number, got %r" % (what, value))


def nonempty_str(value, what):
    if not isinstance(value, str) or value == "":
        raise AssertionError("%s: expected a non-empty string, got %r" % (what, value))


def expect_error(fn, code, message):
    """fn() must raise CMQServerException with exactly this code and message; returns it."""
    try:
        fn()
    except CMQServerException as e:
        eq(e.code, code, "error code")
        eq(e.message, message, "error message")
        nonempty_str(e.request_id, "error requestId")
        return e
    raise AssertionError("expected CMQServerException %s %r, got no exception" % (code, message))


def now():
    return int(time.time())


# ------------------------------------------------------------------------------ the SDK objects

account = Account(ENDPOINT, SECRET_ID, SECRET_KEY, debug=False)
account.set_sign(SIGN)
client = account.get_client()
client.set_method(METHOD)

# Spy on the HTTP methods the SDK really uses (http.client's request(method, url, body, headers)).
SENT = []
_conn = client.http.conn
_orig_request = _conn.request


def _spy_request(method, url, body=None, headers={}):  # noqa: B006 - the SDK's own signature
    SENT.append((method, url, body))
    return _orig_request(method, url, body, headers)


_conn.request = _spy_request

Q = "pyq-" + SFX
queue = account.get_queue(Q)
T0 = now()

# ============================================================================== queues


def make_meta(heap, wait, vis, size, retention, rewind):
    m = QueueMeta()
    m.maxMsgHeapNum = heap
    m.pollingWaitSeconds = wait
    m.visibilityTimeout = vis
    m.maxMsgSize = size
    m.msgRetentionSeconds = retention
    m.rewindSeconds = rewind
    return m


@check("CreateQueue with a full QueueMeta")
def _():
    queue.create(make_meta(2000000, 1, 20, 4096, 7200, 3600))


@check("GetQueueAttributes: every QueueMeta value round-trips")
def _():
    m = queue.get_attributes()
    eq(m.queueName, Q, "queueName")
    eq(m.maxMsgHeapNum, 2000000, "maxMsgHeapNum")
    eq(m.pollingWaitSeconds, 1, "pollingWaitSeconds")
    eq(m.visibilityTimeout, 20, "visibilityTimeout")
    eq(m.maxMsgSize, 4096, "maxMsgSize")
    eq(m.msgRetentionSeconds, 7200, "msgRetentionSeconds")
    eq(m.rewindSeconds, 3600, "rewindSeconds")
    eq(m.activeMsgNum, 0, "activeMsgNum")
    eq(m.inactiveMsgNum, 0, "inactiveMsgNum")
    eq(m.delayMsgNum, 0, "delayMsgNum")
    eq(m.rewindmsgNum, 0, "rewindmsgNum (the SDK's key)")
    eq(m.minMsgTime, 0, "minMsgTime of an empty queue")
    between(m.createTime, T0, now(), "createTime")
    eq(m.lastModifyTime, m.createTime, "lastModifyTime")


@check("GetQueueAttributes raw answer: envelope, rewindMsgNum and rewindmsgNum, queueName, queueId")
def _():
    r = client.get_queue_attributes({"queueName": Q})
    eq(r["code"], 0, "code")
    eq(r["message"], "", "message")
    nonempty_str(r["requestId"], "requestId")
    eq(r["rewindMsgNum"], 0, "rewindMsgNum (the verdict's key)")
    eq(r["rewindmsgNum"], 0, "rewindmsgNum (the docs' key)")
    eq(r["queueName"], Q, "queueName")
    nonempty_str(r["queueId"], "queueId")
    for k in ("maxMsgHeapNum", "pollingWaitSeconds", "visibilityTimeout", "maxMsgSize",
              "msgRetentionSeconds", "createTime", "lastModifyTime", "activeMsgNum",
              "inactiveMsgNum", "rewindSeconds", "rewindMsgNum", "minMsgTime", "delayMsgNum"):
        is_int(r[k], k)
    if "deadLetterPolicy" in r:
        raise AssertionError("deadLetterPolicy present without a dead-letter queue: %r" % r)


@check("CreateQueue of an existing queue -> CMQServerException 4460")
def _():
    expect_error(lambda: queue.create(QueueMeta()), 4460, "(10210)queue is already existed")


@check("CreateQueue of an existing queue, other case -> 4460 (names are case-insensitive)")
def _():
    expect_error(lambda: account.get_queue(Q.upper()).create(QueueMeta()), 4460,
                 "(10210)queue is already existed")


@check("SetQueueAttributes: new values round-trip, incl. rewindSeconds")
def _():
    queue.set_attributes(make_meta(3000000, 1, 15, 8192, 3600, 1800))
    m = queue.get_attributes()
    eq(m.maxMsgHeapNum, 3000000, "maxMsgHeapNum")
    eq(m.pollingWaitSeconds, 1, "pollingWaitSeconds")
    eq(m.visibilityTimeout, 15, "visibilityTimeout")
    eq(m.maxMsgSize, 8192, "maxMsgSize")
    eq(m.msgRetentionSeconds, 3600, "msgRetentionSeconds")
    eq(m.rewindSeconds, 1800, "rewindSeconds")
    between(m.lastModifyTime, m.createTime, now(), "lastModifyTime")


@check("SetQueueAttributes with rewindSeconds > msgRetentionSeconds -> 4000/10700, nothing changed")
def _():
    expect_error(lambda: queue.set_attributes(make_meta(3000000, 1, 15, 8192, 3600, 7200)), 4000,
                 "(10700)rewindSeconds cannot be greater than msgRetentionSeconds")
    eq(queue.get_attributes().rewindSeconds, 1800, "rewindSeconds after the refused change")


LISTED = ["pyl-%s-%d" % (SFX, i) for i in (1, 2, 3)]


@check("ListQueue: searchWord, limit and offset paging (next_offset as the SDK computes it)")
def _():
    for name in LISTED:
        account.get_queue(name).create(QueueMeta())
    total, items, nxt = account.list_queue(searchWord="pyl-" + SFX, limit=2)
    eq(total, 3, "totalCount")
    eq([i["queueName"] for i in items], LISTED[:2], "first page")
    eq(nxt, 2, "next_offset")
    total, items2, nxt = account.list_queue(searchWord="pyl-" + SFX, limit=2, offset=2)
    eq(total, 3, "totalCount")
    eq([i["queueName"] for i in items2], LISTED[2:], "second page")
    eq(nxt, "", "next_offset after the last page")
    for i in items + items2:
        eq(sorted(i.keys()), ["queueId", "queueName"], "queueList item keys")
        r = client.get_queue_attributes({"queueName": i["queueName"]})
        eq(i["queueId"], r["queueId"], "queueId of %s" % i["queueName"])


@check("ListQueue without arguments lists every queue (default limit 20)")
def _():
    total, items, nxt = account.list_queue()
    names = [i["queueName"] for i in items]
    for name in [Q] + LISTED:
        if name not in names:
            raise AssertionError("%s missing from %r" % (name, names))
    between(total, 4, 10 ** 9, "totalCount")
    eq(len(items), min(total, 20), "page size")
    eq(nxt, "" if total <= 20 else 20, "next_offset")


@check("ListQueue with a searchWord that matches nothing")
def _():
    eq(account.list_queue(searchWord="nothing-" + SFX), (0, [], ""), "empty listing")


SENT_ONE = {}


@check("SendMessage / ReceiveMessage(pollingWaitSeconds=0): exact message fields")
def _():
    before = now()
    sent = queue.send_message(Message("hello interop"))
    nonempty_str(sent.msgId, "msgId")
    m = queue.receive_message(0)
    eq(m.msgBody, "hello interop", "msgBody")
    eq(m.msgId, sent.msgId, "msgId")
    eq(m.dequeueCount, 1, "dequeueCount")
    between(m.enqueueTime, before, now(), "enqueueTime")
    between(m.firstDequeueTime, m.enqueueTime, now(), "firstDequeueTime")
    eq(m.nextVisibleTime - m.firstDequeueTime, 15, "nextVisibleTime - firstDequeueTime (visibilityTimeout)")
    nonempty_str(m.receiptHandle, "receiptHandle")
    SENT_ONE["msg"] = m


@check("GetQueueAttributes counters while a message is in flight")
def _():
    m = queue.get_attributes()
    eq((m.activeMsgNum, m.inactiveMsgNum, m.delayMsgNum), (0, 1, 0), "active, inactive, delayed")
    eq(m.minMsgTime, SENT_ONE["msg"].enqueueTime, "minMsgTime")


@check("DeleteMessage, then the same handle again -> 4430")
def _():
    queue.delete_message(SENT_ONE["msg"].receiptHandle)
    expect_error(lambda: queue.delete_message(SENT_ONE["msg"].receiptHandle), 4430,
                 "(10260)receipt handle is invalid")
    m = queue.get_attributes()
    eq((m.activeMsgNum, m.inactiveMsgNum), (0, 0), "active, inactive")
    eq(m.rewindmsgNum, 1, "rewindmsgNum: the deleted message is kept for rewind")
    r = client.get_queue_attributes({"queueName": Q})
    eq((r["rewindMsgNum"], r["rewindmsgNum"]), (1, 1), "rewindMsgNum, rewindmsgNum")


@check("A body with '@' first, non-ASCII, '&', '=', '+', '%' and spaces round-trips")
def _():
    body = "@at-start ünïcødé 中文 & a=b + 100% ?x"
    queue.send_message(Message(body))
    m = queue.receive_message(0)
    eq(m.msgBody, body, "msgBody")
    queue.delete_message(m.receiptHandle)


@check("ReceiveMessage on an empty queue with pollingWaitSeconds=1 -> 7000 after the long poll")
def _():
    t = time.monotonic()
    expect_error(lambda: queue.receive_message(1), 7000, "(10200)no message")
    between(time.monotonic() - t, 0.9, 5.0, "seconds waited")


@check("ReceiveMessage without a wait (UserpollingWaitSeconds=30 only) uses the queue's pollingWaitSeconds")
def _():
    t = time.monotonic()
    expect_error(lambda: queue.receive_message(), 7000, "(10200)no message")
    between(time.monotonic() - t, 0.9, 5.0, "seconds waited (queue pollingWaitSeconds=1)")


@check("SendMessage with delayTime=2: delayed, invisible, then delivered to a long poll")
def _():
    sent = queue.send_message(Message("delayed one"), delayTime=2)
    t = time.monotonic()
    eq(queue.get_attributes().delayMsgNum, 1, "delayMsgNum")
    expect_error(lambda: queue.receive_message(0), 7000, "(10200)no message")
    m = queue.receive_message(5)
    between(time.monotonic() - t, 1.0, 4.5, "seconds until the delayed message arrived")
    eq((m.msgId, m.msgBody, m.dequeueCount), (sent.msgId, "delayed one", 1), "msgId, msgBody, dequeueCount")
    queue.delete_message(m.receiptHandle)
    eq(queue.get_attributes().delayMsgNum, 0, "delayMsgNum after delivery")


BATCH = {}


@check("BatchSendMessage (5 bodies) / BatchReceiveMessage(16, 0): order, ids, bodies")
def _():
    BATCH["t_start"] = now()
    bodies = ["batch-%d" % i for i in range(5)]
    sent = queue.batch_send_message([Message(b) for b in bodies])
    ids = [s.msgId for s in sent]
    eq(len(ids), 5, "msgList length")
    eq(len(set(ids)), 5, "distinct msgIds")
    eq(queue.get_attributes().activeMsgNum, 5, "activeMsgNum")
    got = queue.batch_receive_message(16, 0)
    eq([m.msgBody for m in got], bodies, "bodies in production order")
    eq([m.msgId for m in got], ids, "msgIds in production order")
    eq([m.dequeueCount for m in got], [1] * 5, "dequeueCount")
    BATCH["first"] = got
    BATCH["bodies"] = bodies


@check("BatchDeleteMessage of every handle")
def _():
    queue.batch_delete_message([m.receiptHandle for m in BATCH["first"]])
    m = queue.get_attributes()
    eq((m.activeMsgNum, m.inactiveMsgNum, m.delayMsgNum), (0, 0, 0), "active, inactive, delayed")
    eq(m.rewindmsgNum, 8, "rewindmsgNum (1 + 1 + 1 + 5 deleted)")


@check("BatchSendMessage with delayTime=2 / BatchReceiveMessage with pollingWaitSeconds=5")
def _():
    bodies = ["later-%d" % i for i in range(3)]
    sent = queue.batch_send_message([Message(b) for b in bodies], delayTime=2)
    t = time.monotonic()
    eq(queue.get_attributes().delayMsgNum, 3, "delayMsgNum")
    expect_error(lambda: queue.batch_receive_message(16, 0), 7000, "(10200)no message")
    got = []
    while len(got) < 3 and time.monotonic() - t < 10:
        got += queue.batch_receive_message(16, 5)
    between(time.monotonic() - t, 1.0, 10.0, "seconds until the delayed batch arrived")
    eq([m.msgBody for m in got], bodies, "bodies in production order")
    eq([m.msgId for m in got], [s.msgId for s in sent], "msgIds")
    BATCH["later"] = got
    BATCH["bodies"] += bodies


@check("BatchDeleteMessage with one handle twice -> 6010 with errorList (partial failure)")
def _():
    later = BATCH["later"]
    handles = [m.receiptHandle for m in later] + [later[0].receiptHandle]
    e = expect_error(lambda: queue.batch_delete_message(handles), 6010, "(10150)delete message partially failed")
    eq(e.data.get("errorList"),
       [{"code": 4430, "message": "invalid receiptHandle", "receiptHandle": later[0].receiptHandle}],
       "errorList")
    eq(queue.get_attributes().inactiveMsgNum, 0, "inactiveMsgNum (the valid handles were deleted)")


@check("BatchDeleteMessage with only stale handles -> 6020")
def _():
    h = BATCH["later"][1].receiptHandle
    e = expect_error(lambda: queue.batch_delete_message([h]), 6020, "(10290)batch delete message failed")
    eq(e.data.get("errorList"), [{"code": 4430, "message": "invalid receiptHandle", "receiptHandle": h}],
       "errorList")


@check("BatchReceiveMessage on an empty queue -> 7000")
def _():
    expect_error(lambda: queue.batch_receive_message(4, 0), 7000, "(10200)no message")


@check("RewindQueue: deleted messages produced since startConsumeTime come back in production order")
def _():
    eq(queue.get_attributes().rewindmsgNum, 11, "rewindmsgNum before the rewind")
    start = BATCH["first"][0].enqueueTime
    queue.rewindQueue(start)
    got = []
    while True:
        try:
            got += queue.batch_receive_message(16, 0)
        except CMQServerException as e:
            if e.code != 7000:
                raise
            break
    eq([m.msgBody for m in got], BATCH["bodies"], "rewound bodies")
    eq([m.dequeueCount for m in got], [2] * 8, "dequeueCount keeps counting")
    queue.batch_delete_message([m.receiptHandle for m in got])
    m = queue.get_attributes()
    eq((m.activeMsgNum, m.inactiveMsgNum, m.rewindmsgNum), (0, 0, 11), "active, inactive, rewindmsgNum")


@check("RewindQueue outside [now - rewindSeconds, minMsgTime] -> 4000/10680")
def _():
    msg = "(10680)invalid rewind time, you can get the vaild range of that via GetQueueAttributes"
    expect_error(lambda: queue.rewindQueue(now() + 100), 4000, msg)
    expect_error(lambda: queue.rewindQueue(now() - 1800 - 100), 4000, msg)


@check("RewindQueue on a queue without rewind -> 6050")
def _():
    expect_error(lambda: account.get_queue(LISTED[0]).rewindQueue(now()), 6050,
                 "(10670)your queue cannot be rewinded")


@check("SendMessage larger than maxMsgSize -> 4400")
def _():
    expect_error(lambda: queue.send_message(Message("x" * 8193)), 4400, "(10230)exceed maximum message size")


MISSING = account.get_queue("pymissing-" + SFX)
NOT_EXIST = "(10100)queue is not existed, or deleted"


@check("A missing queue -> CMQServerException 4440 for every queue operation")
def _():
    expect_error(MISSING.get_attributes, 4440, NOT_EXIST)
    expect_error(lambda: MISSING.set_attributes(QueueMeta()), 4440, NOT_EXIST)
    expect_error(lambda: MISSING.send_message(Message("x")), 4440, NOT_EXIST)
    expect_error(lambda: MISSING.batch_send_message([Message("x")]), 4440, NOT_EXIST)
    expect_error(lambda: MISSING.receive_message(0), 4440, NOT_EXIST)
    expect_error(lambda: MISSING.batch_receive_message(2, 0), 4440, NOT_EXIST)
    expect_error(lambda: MISSING.rewindQueue(now()), 4440, NOT_EXIST)
    expect_error(MISSING.delete, 4440, NOT_EXIST)


@check("A wrong SecretKey -> 4100 authentication failed")
def _():
    bad = Account(ENDPOINT, SECRET_ID, SECRET_KEY + "-wrong")
    bad.set_sign(SIGN)
    bad.get_client().set_method(METHOD)
    expect_error(bad.get_queue(Q).get_attributes, 4100, "(10030)authentication failed")


REFUSED_BY_AUTH = []


@check("SDK bug, set_encoding(True): the body is signed as str(bytes) -> the mock refuses it (4100)")
def _():
    enc = account.get_queue(Q)
    enc.set_encoding(True)  # base64: needs a bytes body in Python 3, then signs "b'aGk='"
    expect_error(lambda: enc.send_message(Message(b"hi")), 4100, "(10030)authentication failed")
    REFUSED_BY_AUTH.append("SendMessage")  # journaled without an account
    eq(queue.get_attributes().activeMsgNum, 0, "activeMsgNum: nothing was sent")


@check("DeleteQueue; the queue is gone")
def _():
    queue.delete()
    for name in LISTED:
        account.get_queue(name).delete()
    expect_error(queue.get_attributes, 4440, NOT_EXIST)
    eq(account.list_queue(searchWord=SFX), (0, [], ""), "listing after delete")


@check("CreateQueue right after DeleteQueue of that name -> 6040/10660 (strict limits)")
def _():
    expect_error(lambda: queue.create(QueueMeta()), 6040,
                 "(10660)it will take some time to release resources of previous queue before you create "
                 "a new one with the same name, please try later")


# ============================================================================== topics

TAG_T = "pyt-tag-" + SFX
ROUTE_T = "pyt-route-" + SFX
SINK = "pysink-" + SFX
SINK2 = "pysink2-" + SFX
tag_topic = account.get_topic(TAG_T)
route_topic = account.get_topic(ROUTE_T)
sink = account.get_queue(SINK)
sink2 = account.get_queue(SINK2)
TOPIC_NOT_EXIST = "(10600)topic is not existed, or deleted"
NO_MATCH = "(10730)no bindingKey or filterTag matches the routingKey or msgTag"


def topic_meta(filter_type, size):
    m = TopicMeta()
    m.filterType = filter_type
    m.maxMsgSize = size
    return m


@check("CreateTopic filterType 1 (tags) / GetTopicAttributes")
def _():
    t = now()
    tag_topic.create(topic_meta(1, 8192))
    m = tag_topic.get_attributes()
    eq(m.topicName, TAG_T, "topicName")
    eq(m.msgCount, 0, "msgCount")
    eq(m.maxMsgSize, 8192, "maxMsgSize")
    eq(m.msgRetentionSeconds, 86400, "msgRetentionSeconds")
    eq(m.filterType, 1, "filterType")
    between(m.createTime, t, now(), "createTime")
    eq(m.lastModifyTime, m.createTime, "lastModifyTime")
    r = client.get_topic_attributes({"topicName": TAG_T})
    nonempty_str(r["topicId"], "topicId")
    is_int(r["createUin"], "createUin")
    is_int(r["qps"], "qps")


@check("CreateTopic of an existing topic -> 4460")
def _():
    expect_error(lambda: tag_topic.create(topic_meta(1, 8192)), 4460, "(10550)topic is already existed")


@check("SetTopicAttributes maxMsgSize round-trips")
def _():
    tag_topic.set_attributes(topic_meta(1, 16384))
    m = tag_topic.get_attributes()
    eq(m.maxMsgSize, 16384, "maxMsgSize")
    eq(m.filterType, 1, "filterType unchanged")
    between(m.lastModifyTime, m.createTime, now(), "lastModifyTime")


@check("CreateTopic filterType 2 (routing keys) / GetTopicAttributes")
def _():
    route_topic.create(topic_meta(2, 65536))
    m = route_topic.get_attributes()
    eq((m.filterType, m.maxMsgSize, m.msgCount), (2, 65536, 0), "filterType, maxMsgSize, msgCount")


@check("ListTopic: searchWord, limit and offset paging")
def _():
    total, items, nxt = account.list_topic(searchWord=SFX, limit=1)
    eq((total, [i["topicName"] for i in items], nxt), (2, [TAG_T], 1), "first page")
    total, items2, nxt = account.list_topic(searchWord=SFX, limit=1, offset=1)
    eq((total, [i["topicName"] for i in items2], nxt), (2, [ROUTE_T], ""), "second page")
    for i in items + items2:
        eq(sorted(i.keys()), ["topicId", "topicName"], "topicList item keys")
        eq(i["topicId"], client.get_topic_attributes({"topicName": i["topicName"]})["topicId"], "topicId")
    total, items, nxt = account.list_topic()
    names = [i["topicName"] for i in items]
    if TAG_T not in names or ROUTE_T not in names:
        raise AssertionError("topics missing from %r" % names)


@check("PublishMessage / BatchPublishMessage without any subscription -> 6030")
def _():
    msg = "(10650)topic has no subscription, please create a subscription before publishing message"
    expect_error(lambda: tag_topic.publish_message(TopicMessage("x", ["a"])), 6030, msg)
    expect_error(lambda: tag_topic.batch_publish_message([TopicMessage("x")], ["a"]), 6030, msg)


def sub_meta(protocol, endpoint, fmt, strategy="EXPONENTIAL_DECAY_RETRY", tags=(), keys=()):
    m = SubscriptionMeta()
    m.Protocal = protocol
    m.Endpoint = endpoint
    m.NotifyContentFormat = fmt
    m.NotifyStrategy = strategy
    m.FilterTag = list(tags)
    m.bindingKey = list(keys)
    return m


SQ = "sq-" + SFX
SH = "sh-" + SFX
SR = "sr-" + SFX
sub_q = account.get_subscription(TAG_T, SQ)
sub_h = account.get_subscription(TAG_T, SH)
sub_r = account.get_subscription(ROUTE_T, SR)


def drain(q, n, wait=3):
    """Receives and deletes exactly n messages (or fewer if the queue runs dry); returns bodies."""
    got = []
    deadline = time.monotonic() + 10
    while len(got) < n and time.monotonic() < deadline:
        try:
            batch = q.batch_receive_message(16, wait)
        except CMQServerException as e:
            if e.code != 7000:
                raise
            break
        q.batch_delete_message([m.receiptHandle for m in batch])
        got += [m.msgBody for m in batch]
    return got


def expect_empty(q):
    expect_error(lambda: q.receive_message(0), 7000, "(10200)no message")


@check("Subscribe protocol queue with JSON format -> 4000/10640")
def _():
    sink.create(QueueMeta())
    expect_error(lambda: sub_q.create(sub_meta("queue", SINK, "JSON")), 4000,
                 "(10640)notifyContentFormat of protocol queue must be SIMPLIFIED")


@check("Subscribe protocol queue, SIMPLIFIED, filterTag a,b")
def _():
    sub_q.create(sub_meta("queue", SINK, "SIMPLIFIED", tags=["a", "b"]))


@check("GetSubscriptionAttributes (queue) through SubscriptionMeta")
def _():
    m = sub_q.get_attributes()
    eq(m.Protocal, "queue", "Protocal (the SDK reads `protocal`)")
    eq(m.maxMsgHeapNum, SINK, "endpoint (the SDK stores it in .maxMsgHeapNum)")
    eq(m.NotifyStrategy, "EXPONENTIAL_DECAY_RETRY", "NotifyStrategy")
    eq(m.NotifyContentFormat, "SIMPLIFIED", "NotifyContentFormat")
    eq(m.FilterTag, ["a", "b"], "FilterTag (the SDK reads `filterTags`)")
    eq(m.bindingKey, [], "bindingKey")
    eq(m.inactiveMsgNum, 0, "msgCount (the SDK stores it in .inactiveMsgNum)")
    between(m.createTime, T0, now(), "createTime")
    eq(m.lastModifyTime, m.createTime, "lastModifyTime")


TOPIC_OWNER = {}


@check("GetSubscriptionAttributes raw answer: protocol/protocal, filterTags/filterTag, topicOwner")
def _():
    r = client.get_subscription_attributes({"topicName": TAG_T, "subscriptionName": SQ})
    eq((r["protocol"], r["protocal"]), ("queue", "queue"), "protocol, protocal")
    eq((r["filterTags"], r["filterTag"]), (["a", "b"], ["a", "b"]), "filterTags, filterTag")
    eq(r["endpoint"], SINK, "endpoint")
    eq(r["msgCount"], 0, "msgCount")
    owner = r["topicOwner"]
    if not (isinstance(owner, str) and owner.isdigit()):
        raise AssertionError("topicOwner: expected an appId as a decimal string, got %r" % owner)
    TOPIC_OWNER["v"] = owner


@check("Subscribe an existing subscription -> 4490")
def _():
    expect_error(lambda: sub_q.create(sub_meta("queue", SINK, "SIMPLIFIED")), 4490,
                 "(10470)subscribtion is already existed")


@check("PublishMessage with tags: intersecting tags are delivered to the queue, others -> 6030")
def _():
    pub = tag_topic.publish_message(TopicMessage("tagged b,x", ["b", "x"]))
    nonempty_str(pub.msgId, "msgId")
    eq(drain(sink, 1), ["tagged b,x"], "delivered bodies")
    expect_error(lambda: tag_topic.publish_message(TopicMessage("tagged z", ["z"])), 6030, NO_MATCH)
    expect_error(lambda: tag_topic.publish_message(TopicMessage("untagged")), 6030, NO_MATCH)
    expect_empty(sink)


@check("BatchPublishMessage with a tag: every body delivered in order")
def _():
    bodies = ["bp-0", "bp-1", "bp-2"]
    sent = tag_topic.batch_publish_message([TopicMessage(b) for b in bodies], ["a"])
    eq(len(sent), 3, "msgList length")
    eq(len({s.msgId for s in sent}), 3, "distinct msgIds")
    eq(drain(sink, 3), bodies, "delivered bodies")
    expect_error(lambda: tag_topic.batch_publish_message([TopicMessage("nope")], ["q"]), 6030, NO_MATCH)


class PushRecorder(http.server.BaseHTTPRequestHandler):
    pushes = []
    cond = threading.Condition()

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
        with PushRecorder.cond:
            PushRecorder.pushes.append({
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            })
            PushRecorder.cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_pushes(n, timeout=10.0):
    deadline = time.monotonic() + timeout
    with PushRecorder.cond:
        while len(PushRecorder.pushes) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("expected %d pushes, got %d: %r" % (n, len(PushRecorder.pushes),
                                                                        PushRecorder.pushes))
            PushRecorder.cond.wait(left)
        return list(PushRecorder.pushes)


push_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PushRecorder)
push_thread = threading.Thread(target=push_server.serve_forever, daemon=True)
push_thread.start()
PUSH_URL = "http://127.0.0.1:%d/push/%s" % (push_server.server_address[1], SFX)


def check_push(p, msg_id, tags):
    eq(p["method"], "POST", "push method")
    eq(p["path"], "/push/" + SFX, "push path")
    h = p["headers"]
    eq(h.get("content-type"), "text/plain", "Content-Type")
    eq(h.get("user-agent"), "Qcloud Notification Service Agent", "User-Agent")
    eq(h.get("x-cmq-message-id"), msg_id, "x-cmq-message-id")
    nonempty_str(h.get("x-cmq-request-id"), "x-cmq-request-id")
    eq(h.get("x-cmq-message-tag"), tags, "x-cmq-message-tag")


@check("Subscribe protocol http (JSON, BACKOFF_RETRY) to a local http.server")
def _():
    sub_h.create(sub_meta("http", PUSH_URL, "JSON", strategy="BACKOFF_RETRY"))
    m = sub_h.get_attributes()
    eq((m.Protocal, m.maxMsgHeapNum, m.NotifyStrategy, m.NotifyContentFormat, m.FilterTag),
       ("http", PUSH_URL, "BACKOFF_RETRY", "JSON", []), "protocol, endpoint, strategy, format, tags")


@check("HTTP push (JSON): body keys, values and headers; queue fan-out too")
def _():
    t = now()
    pub = tag_topic.publish_message(TopicMessage("pushed {json} \"body\" ü", ["a", "c"]))
    p = wait_pushes(1)[0]
    fanned_out = drain(sink, 1)
    check_push(p, pub.msgId, "a, c")
    body = json.loads(p["body"])
    eq(list(body.keys()), ["TopicOwner", "topicName", "subscriptionName", "msgId", "msgBody", "publishTime"],
       "push body keys")
    eq(body["TopicOwner"], TOPIC_OWNER.get("v"), "TopicOwner (= topicOwner of GetSubscriptionAttributes)")
    eq(body["topicName"], TAG_T, "topicName")
    eq(body["subscriptionName"], SH, "subscriptionName")
    eq(body["msgId"], pub.msgId, "msgId")
    eq(body["msgBody"], "pushed {json} \"body\" ü", "msgBody")
    is_int(body["publishTime"], "publishTime")
    between(body["publishTime"], t, now(), "publishTime (Unix seconds)")
    eq(fanned_out, ["pushed {json} \"body\" ü"], "queue subscription (tags a,b) got it too")


@check("An untagged message reaches only the untagged http subscription (no x-cmq-message-tag)")
def _():
    pub = tag_topic.publish_message(TopicMessage("no tags"))
    p = wait_pushes(2)[1]
    check_push(p, pub.msgId, None)
    eq(json.loads(p["body"])["msgBody"], "no tags", "msgBody")
    expect_empty(sink)


@check("ListSubscriptionByTopic: items, searchWord, limit and offset paging")
def _():
    total, items, nxt = tag_topic.list_subscription()
    eq((total, nxt), (2, ""), "totalCount, next_offset")
    eq([(i["subscriptionName"], i["protocol"], i["endpoint"]) for i in items],
       [(SQ, "queue", SINK), (SH, "http", PUSH_URL)], "subscriptionName, protocol, endpoint")
    for i in items:
        eq(sorted(i.keys()), ["endpoint", "protocol", "subscriptionId", "subscriptionName"], "item keys")
        nonempty_str(i["subscriptionId"], "subscriptionId")
    eq(len({i["subscriptionId"] for i in items}), 2, "distinct subscriptionIds")
    total, found, nxt = tag_topic.list_subscription(searchWord="sh-")
    eq((total, [i["subscriptionName"] for i in found], nxt), (1, [SH], ""), "searchWord sh-")
    total, p1, nxt = tag_topic.list_subscription(limit=1)
    eq((total, [i["subscriptionName"] for i in p1], nxt), (2, [SQ], 1), "first page")
    total, p2, nxt = tag_topic.list_subscription(limit=1, offset=1)
    eq((total, [i["subscriptionName"] for i in p2], nxt), (2, [SH], ""), "second page")


@check("SetSubscriptionAttributes: format SIMPLIFIED, strategy, filterTag c (replaces)")
def _():
    sub_h.set_attributes(sub_meta("", "", "SIMPLIFIED", strategy="EXPONENTIAL_DECAY_RETRY", tags=["c"]))
    m = sub_h.get_attributes()
    eq((m.NotifyContentFormat, m.NotifyStrategy, m.FilterTag), ("SIMPLIFIED", "EXPONENTIAL_DECAY_RETRY", ["c"]),
       "format, strategy, tags")
    eq((m.Protocal, m.maxMsgHeapNum), ("http", PUSH_URL), "protocol and endpoint unchanged")
    between(m.lastModifyTime, m.createTime, now(), "lastModifyTime")
    sub_q.set_attributes(sub_meta("", "", "SIMPLIFIED", tags=["a"]))
    eq(sub_q.get_attributes().FilterTag, ["a"], "queue subscription tags replaced")


@check("HTTP push (SIMPLIFIED): the raw body, with the headers")
def _():
    pub = tag_topic.publish_message(TopicMessage("simplified body", ["c"]))
    p = wait_pushes(3)[2]
    check_push(p, pub.msgId, "c")
    eq(p["body"], "simplified body", "raw body")
    expect_empty(sink)


@check("ClearSubscriptionFilterTags: tags emptied, untagged messages delivered again")
def _():
    sub_h.clearFilterTags()
    sub_q.clearFilterTags()
    eq(sub_h.get_attributes().FilterTag, [], "http subscription tags")
    r = client.get_subscription_attributes({"topicName": TAG_T, "subscriptionName": SQ})
    eq((r["filterTags"], r["filterTag"]), ([], []), "queue subscription filterTags, filterTag")
    pub = tag_topic.publish_message(TopicMessage("after clear"))
    p = wait_pushes(4)[3]
    check_push(p, pub.msgId, None)
    eq(p["body"], "after clear", "raw body")
    eq(drain(sink, 1), ["after clear"], "queue subscription got it")


@check("Subscribe on a filterType 2 topic without bindingKey -> 4000/10710")
def _():
    sink2.create(QueueMeta())
    expect_error(lambda: sub_r.create(sub_meta("queue", SINK2, "SIMPLIFIED")), 4000,
                 "(10710)parameters lack of bindingKey")


@check("Subscribe with bindingKey order.*.created, audit.#")
def _():
    sub_r.create(sub_meta("queue", SINK2, "SIMPLIFIED", keys=["order.*.created", "audit.#"]))
    m = sub_r.get_attributes()
    eq((m.bindingKey, m.FilterTag, m.Protocal), (["order.*.created", "audit.#"], [], "queue"),
       "bindingKey, FilterTag, Protocal")


@check("PublishMessage with routingKey: `*` is one word, `#` zero or more; no match -> 6030")
def _():
    for key in ("order.eu.created", "audit", "audit.x.y"):
        route_topic.publish_message(TopicMessage("rk " + key), routingKey=key)
    eq(drain(sink2, 3), ["rk order.eu.created", "rk audit", "rk audit.x.y"], "delivered")
    for key in ("order.eu.x.created", "order.created", ""):
        expect_error(lambda: route_topic.publish_message(TopicMessage("rk " + key), routingKey=key), 6030,
                     NO_MATCH)
    expect_empty(sink2)


@check("BatchPublishMessage with a routingKey")
def _():
    sent = route_topic.batch_publish_message([TopicMessage("rb-0"), TopicMessage("rb-1")],
                                             routingKey="order.us.created")
    eq(len(sent), 2, "msgList length")
    eq(drain(sink2, 2), ["rb-0", "rb-1"], "delivered")
    expect_error(lambda: route_topic.batch_publish_message([TopicMessage("x")], routingKey="nope"), 6030,
                 NO_MATCH)


@check("SetSubscriptionAttributes bindingKey # ; the SDK's empty routingKey then matches")
def _():
    sub_r.set_attributes(sub_meta("", "", "SIMPLIFIED", keys=["#"]))
    eq(sub_r.get_attributes().bindingKey, ["#"], "bindingKey")
    route_topic.publish_message(TopicMessage("empty key"))
    eq(drain(sink2, 1), ["empty key"], "delivered")


SUB_NOT_EXIST = "(10560)subscription is not existed"


@check("DeleteTopic with subscriptions -> 4000/10540")
def _():
    expect_error(tag_topic.delete, 4000,
                 "(10540)there exists subscriptions under this topic, please unsubscribe all of them "
                 "before DeleteTopic")


@check("Unsubscribe; missing subscriptions -> 4000/10560")
def _():
    sub_q.delete()
    sub_h.delete()
    sub_r.delete()
    eq(tag_topic.list_subscription(), (0, [], ""), "listing after unsubscribe")
    expect_error(sub_q.delete, 4000, SUB_NOT_EXIST)
    expect_error(sub_h.get_attributes, 4000, SUB_NOT_EXIST)
    expect_error(lambda: sub_h.set_attributes(sub_meta("", "", "JSON")), 4000, SUB_NOT_EXIST)
    expect_error(sub_h.clearFilterTags, 4000, SUB_NOT_EXIST)


@check("A missing topic -> 4440 for every topic operation")
def _():
    missing = account.get_topic("pytmissing-" + SFX)
    expect_error(missing.get_attributes, 4440, TOPIC_NOT_EXIST)
    expect_error(lambda: missing.set_attributes(TopicMeta()), 4440, TOPIC_NOT_EXIST)
    expect_error(lambda: missing.publish_message(TopicMessage("x")), 4440, TOPIC_NOT_EXIST)
    expect_error(lambda: missing.batch_publish_message([TopicMessage("x")]), 4440, TOPIC_NOT_EXIST)
    expect_error(missing.list_subscription, 4440, TOPIC_NOT_EXIST)
    expect_error(lambda: account.get_subscription("pytmissing-" + SFX, "s").create(
        sub_meta("queue", SINK, "SIMPLIFIED")), 4440, TOPIC_NOT_EXIST)
    expect_error(missing.delete, 4440, TOPIC_NOT_EXIST)


@check("DeleteTopic; the topics are gone")
def _():
    tag_topic.delete()
    route_topic.delete()
    expect_error(tag_topic.get_attributes, 4440, TOPIC_NOT_EXIST)
    eq(account.list_topic(searchWord=SFX), (0, [], ""), "listing after delete")
    sink.delete()
    sink2.delete()


# ============================================================================== the wire itself


@check("Every request used %s and SignatureMethod=%s (SDK_Python_1.3)" % (METHOD, SIGNATURE_METHOD))
def _():
    methods = {m for m, _, _ in SENT}
    eq(methods, {METHOD}, "HTTP methods the SDK sent")
    for m, url, body in SENT:
        if METHOD == "GET":
            eq(body, None, "GET body")
            if not url.startswith("/v2/index.php?"):
                raise AssertionError("GET url %r" % url)
        else:
            eq(url, "/v2/index.php", "POST url")
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with no_proxy.open(ENDPOINT + "/_mock/journal", timeout=10) as resp:
        records = json.loads(resp.read().decode("utf-8"))
    mine = [r for r in records if r.get("account") == SECRET_ID]
    between(len(mine), len(SENT) - len(REFUSED_BY_AUTH), 10 ** 9, "journal records of this account")
    seen_wait = False
    for r in mine:
        p = dict(r["params"])
        eq(p.get("SignatureMethod"), SIGNATURE_METHOD, "SignatureMethod of %s" % r["action"])
        eq(p.get("RequestClient"), "SDK_Python_1.3", "RequestClient")
        if r["action"] == "ReceiveMessage" and "pollingWaitSeconds" not in p:
            eq(p.get("UserpollingWaitSeconds"), "30", "UserpollingWaitSeconds")
            seen_wait = True
    if not seen_wait:
        raise AssertionError("no ReceiveMessage with only UserpollingWaitSeconds in the journal")


push_server.shutdown()
push_server.server_close()
os.chdir("/")
shutil.rmtree(WORKDIR, ignore_errors=True)
print("%d passed, %d failed (%s, %s)" % (Results.passed, Results.failed, SIGN, METHOD))
sys.exit(1 if Results.failed else 0)
