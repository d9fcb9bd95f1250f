#!/usr/bin/env python3
"""Writes ../responses.v3.json: API 3.0 answers and what the SDK must decode them to.

    python3 spec/conformance/tools/responses_v3.py   # plain Python 3, no packages

The success bodies are Tencent's published examples (`tccli==3.1.189.1`
`tccli/services/tdmq/v20200217/examples.json`, one per action), plus hand-made variants: error
envelopes, `null` where the docs say "may return null", unknown keys, absent optional fields, and
bodies that are not the envelope. The expected output of each success is computed here from the
spec's facts alone (`spec/v3/`: each response field's type, `nullable` and `optional`), never from
the SDK:

* a nullable field keeps `null` (and an absent one reads as `null`);
* an optional field that is absent or `null` is left out;
* any other field that is absent or `null` reads as its type's default (0, "", false, [], or an
  object of defaults);
* a member of a model requests also carry (`Tag`, `Filter`) is left out when absent or `null`;
* keys the spec does not name are dropped; `RequestId` is required.

`expected.output` is what `serde_json::to_value(&output)` gives for the action's response type.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "..", "v3")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


ATTRS = load(os.path.join(SPEC, "attributes.json"))
ACTIONS = {n[:-5]: load(os.path.join(SPEC, "actions", n)) for n in os.listdir(os.path.join(SPEC, "actions"))}


def request_models():
    """Models requests carry (their members are all optional)."""
    out = set()
    for a in ACTIONS.values():
        for u in a["params"]:
            shape = u.get("shape") or ATTRS["params"].get(u.get("ref", ""), {}).get("shape")
            if shape:
                out.add(shape)
    return out


REQUEST_MODELS = request_models()
TYPES = {"int": 0, "string": "", "bool": False, "string_list": [], "object_list": []}


V2 = os.path.join(SPEC, "..", "v2")
V2_ATTRS = load(os.path.join(V2, "attributes.json"))


def v2_type(field):
    """The type of an API 2.0 field or parameter as written (`ref` followed)."""
    if "type" in field:
        return field["type"]
    return V2_ATTRS["params"][field["ref"]]["type"]


def linked_type(link):
    """The type a link names (`v2:actions/A/response/k`, `v2:shapes/S/k`, `v2:params/id`,
    `v2:actions/A/wire`); a JSON-document parameter counts as an object."""
    api, path = link.split(":", 1)
    assert api == "v2", link
    parts = path.split("/")
    if parts[0] == "params":
        ty = V2_ATTRS["params"][parts[1]]["type"]
    elif parts[0] == "shapes":
        ty = v2_type(next(f for f in V2_ATTRS["shapes"][parts[1]]["fields"] if f.get("key") == parts[2]))
    else:
        action = load(os.path.join(V2, "actions", parts[1] + ".json"))
        if parts[2] == "response":
            key = parts[3]
            ty = v2_type(next(f for f in action["response"]
                              if f.get("key", V2_ATTRS["params"].get(f.get("ref", ""), {}).get("wire")) == key))
        else:
            ty = v2_type(next(u for u in action["params"]
                              if u.get("wire", V2_ATTRS["params"].get(u.get("ref", ""), {}).get("wire")) == parts[2]))
    return "object" if ty == "json" else ty


def field_type(f):
    """A field's type: stated, else its link's."""
    return f["type"] if "type" in f else linked_type(f["link"])


def default_of(f, ty):
    if ty == "object":
        return decode_object({}, f["shape"])
    return TYPES.get(ty, "")


def decode_field(f, present, value, request_model):
    """(keep, value) of one field."""
    ty = field_type(f)
    if request_model or (f.get("optional") and not f.get("nullable")):
        if not present or value is None:
            return False, None
    elif f.get("nullable"):
        if not present or value is None:
            return True, None
    elif not present or value is None:
        return True, default_of(f, ty)
    if ty == "object":
        return True, decode_object(value, f["shape"])
    if ty == "object_list":
        return True, [decode_object(v, f["shape"]) for v in value]
    return True, value


def decode_fields(obj, fields, request_model=False):
    out = {}
    for f in fields:
        key = f["key"]
        keep, v = decode_field(f, key in obj, obj.get(key), request_model)
        if keep:
            out[key] = v
    return out


def decode_object(obj, shape):
    return decode_fields(obj, ATTRS["shapes"][shape]["fields"], shape in REQUEST_MODELS)


def decode(action, body):
    inner = body["Response"]
    out = decode_fields(inner, ACTIONS[action]["response"])
    out["RequestId"] = inner["RequestId"]
    return out


def typed_defaults():
    """Every response field of the spec has a type here (stated or its link's)."""
    fields = [f for s in ATTRS["shapes"].values() for f in s["fields"]]
    fields += [f for a in ACTIONS.values() for f in a["response"]]
    for f in fields:
        assert field_type(f) in ("int", "string", "bool", "string_list", "object", "object_list"), f


EXAMPLES = {
 "CreateCmqQueue": {
  "Response": {
   "RequestId": "864b1295-ed7e-45ed-9602-be53ac23177b",
   "QueueId": "cmqq-rd42drdeaag9"
  }
 },
 "DeleteCmqQueue": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "DescribeCmqQueues": {
  "Response": {
   "RequestId": "730b0b3e-4c67-4a11-a15b-90e6f7c18402",
   "TotalCount": 1,
   "QueueList": [
    {
     "QueueId": "cmqq-bzgqn83nv",
     "QueueName": "test0829",
     "Qps": 5000,
     "Bps": 52428800,
     "MaxDelaySeconds": 3600,
     "MaxMsgHeapNum": 1000000,
     "PollingWaitSeconds": 3,
     "MsgRetentionSeconds": 7200,
     "VisibilityTimeout": 30,
     "MaxMsgSize": 1048576,
     "RewindSeconds": 0,
     "RetentionSizeInMB": 0,
     "CreateTime": 1724918937000,
     "LastModifyTime": 1724924966000,
     "ActiveMsgNum": 0,
     "InactiveMsgNum": 0,
     "DelayMsgNum": None,
     "RewindMsgNum": None,
     "MinMsgTime": None,
     "MaxUnackedMsgNum": 100000,
     "DeadLetterPolicy": {
      "DeadLetterQueue": "rmqbroker-nj",
      "Policy": 0,
      "MaxTimeToLive": 0,
      "MaxReceiveCount": 22
     },
     "DeadLetterSource": None,
     "Transaction": None,
     "TransactionPolicy": None,
     "CreateUin": None,
     "Trace": None,
     "Tags": None,
     "TenantId": "cmq-13179472",
     "NamespaceName": "CMQ_QUEUE-test0829",
     "Status": 1,
     "MaxMsgBacklogSize": 10737418240
    }
   ]
  }
 },
 "DescribeCmqQueueDetail": {
  "Response": {
   "RequestId": "3d7a859c-4991-4d1d-bb8c-a25676c049d6",
   "QueueDescribe": {
    "QueueId": "cmqq-d88rxnbv2",
    "QueueName": "test1120",
    "Qps": 5000,
    "Bps": 52428800,
    "MaxDelaySeconds": 3600,
    "MaxMsgHeapNum": 1000000,
    "PollingWaitSeconds": 3,
    "MsgRetentionSeconds": 7200,
    "VisibilityTimeout": 30,
    "MaxMsgSize": 1048576,
    "RewindSeconds": 0,
    "RetentionSizeInMB": 0,
    "CreateTime": 1732096676000,
    "LastModifyTime": 1732096676000,
    "ActiveMsgNum": 20,
    "InactiveMsgNum": 0,
    "DelayMsgNum": 0,
    "RewindMsgNum": None,
    "MinMsgTime": None,
    "MaxUnackedMsgNum": 100000,
    "DeadLetterPolicy": None,
    "DeadLetterSource": None,
    "Transaction": None,
    "TransactionPolicy": None,
    "CreateUin": None,
    "Trace": None,
    "Tags": None,
    "TenantId": "cmq-131242",
    "NamespaceName": "CMQ_QUEUE-test1120",
    "Status": 1,
    "MaxMsgBacklogSize": 10737418240
   }
  }
 },
 "ModifyCmqQueueAttribute": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "RewindCmqQueue": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "ClearCmqQueue": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "UnbindCmqDeadLetter": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "SendCmqMsg": {
  "Response": {
   "Result": True,
   "MsgId": "09A51113003621B8D17C0DF3DC2403DC",
   "RequestId": "3593f784-fcfb-4f23-b3dd-4751cba3aec7"
  }
 },
 "CreateCmqTopic": {
  "Response": {
   "RequestId": "ae412902-bb35-4237-955d-3e1f9901e0cc",
   "TopicId": "cmqt-7jwedr3jqb54"
  }
 },
 "DeleteCmqTopic": {
  "Response": {
   "RequestId": "96b28b30-393a-48aa-9f00-07dbe6d86229"
  }
 },
 "DescribeCmqTopics": {
  "Response": {
   "RequestId": "3fe52209-a1e2-462c-a948-defb864d14e3",
   "TotalCount": 1,
   "TopicList": [
    {
     "TopicId": "cmqt-w4nb4zonn",
     "TopicName": "rtopic",
     "MaxMsgSize": 1048576,
     "FilterType": 1,
     "MsgRetentionSeconds": 86400,
     "Qps": 5000,
     "CreateTime": 1692691276000,
     "LastModifyTime": 1692691276000,
     "MsgCount": 0,
     "CreateUin": None,
     "Trace": None,
     "Tags": None,
     "TenantId": "cmq-1317947242",
     "NamespaceName": "CMQ_TOPIC-rtopic",
     "Status": 1,
     "BrokerType": 1,
     "SubscriptionCount": 1
    }
   ]
  }
 },
 "DescribeCmqTopicDetail": {
  "Response": {
   "RequestId": "cbeef60c-6525-484a-83e8-6c590e81e749",
   "TopicDescribe": {
    "TopicId": "cmqt-w4nb4z27",
    "TopicName": "rmqbroker-nj",
    "MaxMsgSize": 1048576,
    "FilterType": 1,
    "MsgRetentionSeconds": 86400,
    "Qps": 5000,
    "CreateTime": 1692691276000,
    "LastModifyTime": 1692691276000,
    "MsgCount": 0,
    "CreateUin": None,
    "Trace": None,
    "Tags": None,
    "TenantId": "cmq-1317947242",
    "NamespaceName": "CMQ_TOPIC-rmqbroker-nj",
    "Status": 1,
    "BrokerType": 1,
    "SubscriptionCount": 1
   }
  }
 },
 "ModifyCmqTopicAttribute": {
  "Response": {
   "RequestId": "8a04c6b1-dec5-4979-b3b2-34ab3b3402b2"
  }
 },
 "PublishCmqMsg": {
  "Response": {
   "Result": True,
   "MsgId": "1EAD5E05003A6767C1FC9160304F98",
   "RequestId": "3593f784-fcfb-4f23-b3dd-4751cba3aec7"
  }
 },
 "CreateCmqSubscribe": {
  "Response": {
   "SubscriptionId": "subsc-39gyuuhd",
   "RequestId": "1620b635-6071-47c7-ac1e-975afe5104a7"
  }
 },
 "DeleteCmqSubscribe": {
  "Response": {
   "RequestId": "f8efab10-0ac6-44cf-8d09-67bb228deaf4"
  }
 },
 "DescribeCmqSubscriptionDetail": {
  "Response": {
   "TotalCount": 1,
   "SubscriptionSet": [
    {
     "SubscriptionName": "ConnSub",
     "SubscriptionId": "subsc-8y7fn4t2",
     "TopicOwner": 0,
     "MsgCount": 0,
     "LastModifyTime": 1590632987,
     "CreateTime": 1590632987,
     "BindingKey": None,
     "Endpoint": "test1",
     "FilterTags": [],
     "Protocol": "queue",
     "NotifyStrategy": "EXPONENTIAL_DECAY_RETRY",
     "NotifyContentFormat": "SIMPLIFIED"
    }
   ],
   "RequestId": "72cd2d9d-d666-45ad-963a-cf5065a1984c"
  }
 },
 "ModifyCmqSubscriptionAttribute": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 },
 "ClearCmqSubscriptionFilterTags": {
  "Response": {
   "RequestId": "3e0dff9d-9ed5-47c3-beb2-a42c1d69e1cc"
  }
 }
}


def success(action, body, name=None):
    return {"name": name or f"{action} (published example)", "action": action, "body": body,
            "expected": {"output": decode(action, body)}}


def error(action, code, message, request_id="req-err"):
    body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
    return {"name": f"{action} error {code}", "action": action, "body": body,
            "expected": {"error": {"code": code, "message": message, "request_id": request_id}}}


def variants():
    q = json.loads(json.dumps(EXAMPLES["DescribeCmqQueueDetail"]))
    detail = q["Response"]["QueueDescribe"]
    detail["DeadLetterPolicy"] = {"DeadLetterQueue": "dlq", "Policy": 0, "MaxTimeToLive": 0, "MaxReceiveCount": 22}
    detail["DeadLetterSource"] = [{"QueueId": None, "QueueName": "src-1"}, {"QueueId": "cmqq-2", "QueueName": "src-2"}]
    detail["Tags"] = [{"TagKey": "env", "TagValue": None}]
    detail["Transaction"] = False
    detail["SetType"] = "SHARED"
    del detail["Bps"]
    t = json.loads(json.dumps(EXAMPLES["DescribeCmqTopicDetail"]))
    t["Response"]["TopicDescribe"].update({"SetType": "SHARED", "InstanceId": None})
    s = json.loads(json.dumps(EXAMPLES["DescribeCmqSubscriptionDetail"]))
    s["Response"]["SubscriptionSet"][0].update({"BindingKey": ["a.#"], "TopicName": "events", "FilterTags": None})
    nulls = {"Response": {"TotalCount": None, "QueueList": None, "RequestId": "req-null"}}
    return [
        success("DescribeCmqQueueDetail", q, "DescribeCmqQueueDetail with a policy, sources, tags, an unknown key and an absent field"),
        success("DescribeCmqTopicDetail", t, "DescribeCmqTopicDetail with the unknown keys of api.json's example"),
        success("DescribeCmqSubscriptionDetail", s, "DescribeCmqSubscriptionDetail with binding keys, TopicName and null FilterTags"),
        success("DescribeCmqQueues", nulls, "DescribeCmqQueues with null TotalCount and QueueList"),
        error("DescribeCmqQueueDetail", "ResourceNotFound", "The queue does not exist."),
        error("CreateCmqTopic", "ResourceInUse.Topic", "A topic of that name already exists."),
        error("SendCmqMsg", "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."),
        error("PublishCmqMsg", "InvalidParameterValue", "The value of the parameter `MsgTag.0` is invalid."),
        {"name": "no RequestId", "action": "DeleteCmqQueue", "body": {"Response": {}},
         "expected": {"decode_error": "RequestId"}},
        {"name": "not the envelope", "action": "DeleteCmqQueue", "body": {"code": 0, "message": ""},
         "expected": {"decode_error": "Response"}},
        {"name": "not JSON", "action": "DeleteCmqQueue", "body_text": "<html>502</html>",
         "expected": {"decode_error": "expected value"}},
        {"name": "a number where text is expected", "action": "CreateCmqQueue",
         "body": {"Response": {"QueueId": 7, "RequestId": "r"}}, "expected": {"decode_error": "invalid type"}},
    ]


def main():
    typed_defaults()
    missing = set(ACTIONS) - set(EXAMPLES)
    assert not missing, missing
    cases = [success(a, EXAMPLES[a]) for a in sorted(EXAMPLES)] + variants()
    out = {
        "generated_by": "spec/conformance/tools/responses_v3.py",
        "note": "API 3.0 answers (Tencent's published examples and variants) and what the SDK must decode them to, computed from the spec's facts. Do not edit by hand: rerun the tool.",
        "cases": cases,
    }
    path = os.path.join(HERE, "..", "responses.v3.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
