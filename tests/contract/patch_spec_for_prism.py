# ruff: noqa  (Twilio's script, copied verbatim from /work/shared/twilio apart from this line)
"""Relax array-typed form parameters so twilio-python's repeated-key encoding
(Key=a&Key=b) passes Prism validation. Prism only parses Key[]=a as an array.
usage: python patch_spec_for_prism.py in.json out.json"""
import json, sys
spec = json.load(open(sys.argv[1]))
n = 0
for path, ops in spec["paths"].items():
    for method, op in ops.items():
        if not isinstance(op, dict):
            continue
        content = op.get("requestBody", {}).get("content", {})
        form = content.get("application/x-www-form-urlencoded")
        if not form:
            continue
        for name, prop in form["schema"].get("properties", {}).items():
            if prop.get("type") == "array":
                items = prop.get("items", {"type": "string"})
                desc = prop.get("description")
                prop.clear()
                prop["anyOf"] = [{"type": "array", "items": items}, items]
                if desc: prop["description"] = desc
                n += 1
json.dump(spec, open(sys.argv[2], "w"))
print("relaxed", n, "array form properties")
