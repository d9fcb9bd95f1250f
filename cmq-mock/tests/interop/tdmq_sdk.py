#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Interop check: Tencent's official API 3.0 SDK (tencentcloud-sdk-python-tdmq 3.1.130, with
tencentcloud-sdk-python-common 3.1.130) against cmq-mock, beside Tencent's API 2.0 SDK
(qcloud-cmq-sdk-py3 0.1) on the same endpoint.

Usage: tdmq_sdk.py HOST:PORT SECRET_ID SECRET_KEY REGION
       tdmq_sdk.py --probe      (exit 0 iff this Python can import both SDKs)

Every one of the 20 CMQ actions of API 3.0 is called through `TdmqClient` (TC3-HMAC-SHA256,
POST JSON, HttpProfile(endpoint=HOST:PORT, scheme http)) and its answer checked; resources are
shared with the API 2.0 SDK both ways (a queue created over 3.0 receives a message sent over
2.0, a subscription created over 3.0 fans out a message published over 2.0, a queue deleted over
2.0 is gone over 3.0), and errors reach the SDK as `TencentCloudSDKException` with the exact
code. It prints one line per check, then `N passed, M failed`, and exits non-zero if any check
failed. `cmq-mock/tests/python_interop.rs` runs it against an in-process mock.
"""

import json
import os
import random
import string
import sys
import tempfile
import time
import traceback
import warnings

PROBE = sys.argv[1:] == ["--probe"]
if not PROBE and len(sys.argv) != 5:
    sys.stderr.write(__doc__)
    sys.exit(2)

# cmq/subscription.py imports mailcap (gone in Python 3.13) and never uses it.
warnings.filterwarnings("ignore", category=DeprecationWarning)
try:
    import mailcap  # noqa: F401
except ImportError:
    import types

    sys.modules["mailcap"] = types.ModuleType("mailcap")
    sys.modules["mailcap"].subst = None

from tencentcloud.common import credential  # noqa: E402
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # noqa: E402
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402
from tencentcloud.tdmq.v20200217 import models, tdmq_client  # noqa: E402

import cmq.account  # noqa: E402,F401

if PROBE:
    sys.exit(0)

HOST, SECRET_ID, SECRET_KEY, REGION = sys.argv[1:]

# The 2.0 SDK's logger appends to ./CMQ_python_sdk.log: keep it out of the caller's directory.
os.chdir(tempfile.mkdtemp(prefix="cmq-tdmq-interop-"))

from cmq.account import Account  # noqa: E402
from cmq.queue import Message  # noqa: E402
from cmq.topic import Message as TopicMessage  # noqa: E402

SFX = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


class Results:
    passed = 0
    failed = 0
    actions = set()


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


cred = credential.Credential(SECRET_ID, SECRET_KEY)
profile = ClientProfile(httpProfile=HttpProfile(endpoint=HOST, protocol="http"))
client = tdmq_client.TdmqClient(cred, REGION, profile)
v2 = Account("http://" + HOST, SECRET_ID, SECRET_KEY)
v2.set_sign("sha256")


def call(action, **params):
    """Calls `action` through the SDK's own method and request model; returns the response."""
    Results.actions.add(action)
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params))
    return getattr(client, action)(req)


def error_code(action, **params):
    try:
        call(action, **params)
    except TencentCloudSDKException as e:
        if not e.get_request_id():
            raise AssertionError("the error carries no RequestId")
        return e.get_code()
    raise AssertionError("%s succeeded, an error was expected" % action)


Q = "q3-" + SFX
DLQ = "dlq3-" + SFX
T = "t3-" + SFX
RT = "rt3-" + SFX
S = "s3-" + SFX


@check("CreateCmqQueue with API 3.0's defaults, seen by API 2.0")
def _():
    r = call("CreateCmqQueue", QueueName=Q, VisibilityTimeout=40, RewindSeconds=600,
             Tags=[{"TagKey": "env", "TagValue": "ci"}])
    assert r.QueueId, "QueueId"
    assert r.RequestId, "RequestId"
    call("CreateCmqQueue", QueueName=DLQ)
    meta = v2.get_queue(Q).get_attributes()
    eq(meta.visibilityTimeout, 40, "visibilityTimeout over API 2.0")
    eq(meta.msgRetentionSeconds, 3600, "API 3.0's default MsgRetentionSeconds")


@check("SendCmqMsg, received over API 2.0; sent over 2.0, counted over 3.0")
def _():
    r = call("SendCmqMsg", QueueName=Q, MsgContent="from-v3")
    eq(r.Result, True, "Result")
    assert r.MsgId, "MsgId"
    msg = v2.get_queue(Q).receive_message(0)
    eq(msg.msgBody, "from-v3", "body")
    v2.get_queue(Q).delete_message(msg.receiptHandle)
    v2.get_queue(Q).send_message(Message("from-v2"))
    d = call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe
    eq(d.ActiveMsgNum, 1, "ActiveMsgNum")


@check("DescribeCmqQueueDetail: attributes, milliseconds, tags")
def _():
    d = call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe
    eq(d.QueueName, Q, "QueueName")
    eq(d.VisibilityTimeout, 40, "VisibilityTimeout")
    eq(d.MaxMsgSize, 1048576, "MaxMsgSize default")
    assert d.CreateTime > 10 ** 12, "CreateTime in ms: %r" % d.CreateTime
    eq([(t.TagKey, t.TagValue) for t in d.Tags], [("env", "ci")], "Tags")
    eq(d.NamespaceName, "CMQ_QUEUE-" + Q, "NamespaceName")


@check("ModifyCmqQueueAttribute: a dead-letter policy, visible both ways")
def _():
    call("ModifyCmqQueueAttribute", QueueName=Q, PollingWaitSeconds=3, DeadLetterQueueName=DLQ,
         Policy=0, MaxReceiveCount=5)
    d = call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe
    eq(d.PollingWaitSeconds, 3, "PollingWaitSeconds")
    eq((d.DeadLetterPolicy.DeadLetterQueue, d.DeadLetterPolicy.MaxReceiveCount), (DLQ, 5),
       "DeadLetterPolicy")
    src = call("DescribeCmqQueueDetail", QueueName=DLQ).QueueDescribe.DeadLetterSource
    eq([s.QueueName for s in src], [Q], "DeadLetterSource")
    eq(v2.get_queue(Q).get_attributes().pollingWaitSeconds, 3, "pollingWaitSeconds over 2.0")


@check("DescribeCmqQueues: name filter, QueueNameList, tags, paging")
def _():
    r = call("DescribeCmqQueues", QueueName=SFX, Limit=1)
    eq(r.TotalCount, 2, "TotalCount")
    eq(len(r.QueueList), 1, "page size")
    r = call("DescribeCmqQueues", QueueNameList=[DLQ])
    eq([q.QueueName for q in r.QueueList], [DLQ], "QueueNameList")
    r = call("DescribeCmqQueues", IsTagFilter=True, Filters=[{"Name": "tag:env", "Values": ["ci"]}])
    eq([q.QueueName for q in r.QueueList], [Q], "tag filter")


@check("UnbindCmqDeadLetter")
def _():
    call("UnbindCmqDeadLetter", SourceQueueName=Q)
    eq(call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe.DeadLetterPolicy, None,
       "DeadLetterPolicy")


@check("RewindCmqQueue (milliseconds) brings a consumed message back")
def _():
    start_ms = int(time.time()) * 1000 - 1000
    q = v2.get_queue(Q)
    msg = q.receive_message(0)
    eq(msg.msgBody, "from-v2", "body")
    q.delete_message(msg.receiptHandle)
    call("RewindCmqQueue", QueueName=Q, StartConsumeTime=start_ms)
    d = call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe
    assert d.ActiveMsgNum >= 1, "ActiveMsgNum after rewind: %r" % d.ActiveMsgNum


@check("ClearCmqQueue empties the queue for API 2.0 consumers")
def _():
    call("ClearCmqQueue", QueueName=Q)
    d = call("DescribeCmqQueueDetail", QueueName=Q).QueueDescribe
    eq((d.ActiveMsgNum, d.InactiveMsgNum), (0, 0), "counters")


@check("CreateCmqTopic, DescribeCmqTopicDetail, DescribeCmqTopics, ModifyCmqTopicAttribute")
def _():
    r = call("CreateCmqTopic", TopicName=T, MaxMsgSize=65536, MsgRetentionSeconds=600)
    assert r.TopicId, "TopicId"
    call("CreateCmqTopic", TopicName=RT, FilterType=2)
    d = call("DescribeCmqTopicDetail", TopicName=T).TopicDescribe
    eq((d.MaxMsgSize, d.MsgRetentionSeconds, d.FilterType), (65536, 600, 1), "topic")
    r = call("DescribeCmqTopics", TopicName=SFX)
    eq(r.TotalCount, 2, "TotalCount")
    call("ModifyCmqTopicAttribute", TopicName=T, MaxMsgSize=4096)
    eq(call("DescribeCmqTopicDetail", TopicName=T).TopicDescribe.MaxMsgSize, 4096, "MaxMsgSize")
    eq(v2.get_topic(T).get_attributes().maxMsgSize, 4096, "maxMsgSize over API 2.0")


@check("CreateCmqSubscribe (queue), then PublishMessage over API 2.0 fans out")
def _():
    r = call("CreateCmqSubscribe", TopicName=T, SubscriptionName=S, Protocol="queue",
             Endpoint=Q, NotifyContentFormat="SIMPLIFIED", FilterTag=["red"])
    assert r.SubscriptionId, "SubscriptionId"
    v2.get_topic(T).publish_message(TopicMessage("via-v2", ["red"]))
    eq(v2.get_queue(Q).receive_message(0).msgBody, "via-v2", "fanned-out body")


@check("PublishCmqMsg with tags and with a routing key")
def _():
    r = call("PublishCmqMsg", TopicName=T, MsgContent="via-v3", MsgTag=["red"])
    eq(r.Result, True, "Result")
    call("CreateCmqSubscribe", TopicName=RT, SubscriptionName=S, Protocol="queue", Endpoint=DLQ,
         BindingKey=["a.*"])
    call("PublishCmqMsg", TopicName=RT, MsgContent="routed", MsgTag=["a.b"])
    eq(v2.get_queue(DLQ).receive_message(0).msgBody, "routed", "routed body")


@check("DescribeCmqSubscriptionDetail by topic and by queue")
def _():
    r = call("DescribeCmqSubscriptionDetail", TopicName=T, SubscriptionName=S)
    eq(r.TotalCount, 1, "TotalCount")
    sub = r.SubscriptionSet[0]
    eq((sub.Protocol, sub.Endpoint, sub.FilterTags), ("queue", Q, ["red"]), "subscription")
    r = call("DescribeCmqSubscriptionDetail", QueryType="queue", QueueName=DLQ)
    eq([s.TopicName for s in r.SubscriptionSet], [RT], "by queue")


@check("ModifyCmqSubscriptionAttribute, ClearCmqSubscriptionFilterTags")
def _():
    call("ModifyCmqSubscriptionAttribute", TopicName=T, SubscriptionName=S, FilterTags=["x", "y"])
    sub = call("DescribeCmqSubscriptionDetail", TopicName=T).SubscriptionSet[0]
    eq(sub.FilterTags, ["x", "y"], "FilterTags")
    call("ClearCmqSubscriptionFilterTags", TopicName=T, SubscriptionName=S)
    sub = call("DescribeCmqSubscriptionDetail", TopicName=T).SubscriptionSet[0]
    eq(sub.FilterTags, [], "FilterTags cleared")


@check("errors: exact codes through TencentCloudSDKException")
def _():
    eq(error_code("DescribeCmqQueueDetail", QueueName="missing-" + SFX), "ResourceNotFound",
       "missing queue")
    eq(error_code("CreateCmqQueue", QueueName=Q), "ResourceInUse.Queue", "existing queue")
    eq(error_code("DeleteCmqTopic", TopicName=T), "FailedOperation", "topic with subscriptions")
    eq(error_code("CreateCmqQueue", QueueName=Q + "x", MsgRetentionSeconds=10),
       "InvalidParameterValue", "out of range")


@check("DeleteCmqSubscribe, DeleteCmqTopic, DeleteCmqQueue")
def _():
    call("DeleteCmqSubscribe", TopicName=T, SubscriptionName=S)
    call("DeleteCmqSubscribe", TopicName=RT, SubscriptionName=S)
    call("DeleteCmqTopic", TopicName=T)
    call("DeleteCmqTopic", TopicName=RT)
    eq(error_code("DescribeCmqTopicDetail", TopicName=T), "ResourceNotFound", "deleted topic")
    call("DeleteCmqQueue", QueueName=DLQ)
    eq(error_code("DescribeCmqQueueDetail", QueueName=DLQ), "ResourceNotFound", "deleted queue")


@check("a queue deleted over API 2.0 is gone over API 3.0")
def _():
    v2.get_queue(Q).delete()
    eq(error_code("DescribeCmqQueueDetail", QueueName=Q), "ResourceNotFound", "deleted over 2.0")


@check("a wrong SecretKey: AuthFailure.SignatureFailure")
def _():
    bad = tdmq_client.TdmqClient(credential.Credential(SECRET_ID, "wrong"), REGION, profile)
    try:
        bad.DescribeCmqQueues(models.DescribeCmqQueuesRequest())
    except TencentCloudSDKException as e:
        eq(e.get_code(), "AuthFailure.SignatureFailure", "code")
    else:
        raise AssertionError("a wrong key was accepted")


@check("all 20 actions were called")
def _():
    eq(len(Results.actions), 20, "actions called: %s" % sorted(Results.actions))


print("%d passed, %d failed (tdmq %s)" % (Results.passed, Results.failed, REGION))
sys.exit(1 if Results.failed else 0)
