"""An agent session driven by the reference MCP client (PyPI `mcp`), as a new user would run one.

    python mcp_agent.py stdio PROGRAM DATABASE      # starts `PROGRAM mcp --database DATABASE` and talks over stdio
    python mcp_agent.py http URL TOKEN              # talks Streamable HTTP to URL with `Authorization: Bearer TOKEN`

It researches an account, finds expansion targets, drafts and QCs a message, logs the touch and a referral reply,
reports its token use, and checks the refusals (do-not-contact, bad arguments, an unknown tool). It prints one JSON
object with what it saw; the Swift test checks it and the ledger. Exits 1 on anything unexpected.
"""
import asyncio
import json
import sys

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

EXPECTED_TOOLS = 45


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(1)


async def call(session, name, arguments, meta=None, expect_error=False):
    result = await session.call_tool(name, arguments, meta=meta)
    if bool(result.is_error) != expect_error:
        fail(f"{name}: is_error={result.is_error}: {result.content[0].text if result.content else ''}")
    if not expect_error:
        text = json.loads(result.content[0].text)
        if text != result.structured_content:
            fail(f"{name}: the text and the structured content differ")
        return text
    return result.content[0].text


async def scenario(session, suffix):
    init = await session.initialize()
    seen = {"protocol_version": init.protocol_version, "server": init.server_info.name}
    tools = (await session.list_tools()).tools
    seen["tools"] = len(tools)
    if len(tools) != EXPECTED_TOOLS:
        fail(f"{len(tools)} tools listed")
    annotations = {t.name: t.annotations for t in tools}
    if not annotations["get_account_overview"].read_only_hint or annotations["create_draft"].read_only_hint:
        fail("readOnlyHint is wrong")

    company = await call(session, "create_company", {"name": f"Globex {suffix}", "domain": f"globex-{suffix}.com", "industry": "Logistics"})
    ana = await call(session, "create_contact", {
        "first_name": "Ana", "last_name": "Ruiz", "title": "VP Operations", "seniority_level": "vp", "is_decision_maker": True,
        "company_id": company["id"], "email": f"ana@globex-{suffix}.com"})
    ben = await call(session, "create_contact", {
        "first_name": "Ben", "last_name": "Ruiz", "title": "CFO", "seniority_level": "c-level", "company_id": company["id"]})
    dee = await call(session, "create_contact", {
        "first_name": "Dee", "last_name": "Ruiz", "company_id": company["id"], "do_not_contact": True, "dnc_reason": "asked"})
    await call(session, "create_relationship", {
        "contact_id_1": ben["id"], "contact_id_2": ana["id"], "relationship_type": "reports_to", "strength": "strong"})

    # Research the account.
    found = await call(session, "search_companies", {"query": "globex"})
    if company["id"] not in [c["id"] for c in found["data"]]:
        fail("search_companies did not find the company")
    overview = await call(session, "get_account_overview", {"company_id": company["id"]})
    seen["overview_contacts"] = overview["contacts"]["total"]
    await call(session, "save_research", {
        "company_id": company["id"], "entity_type": "company", "company_news": "Opened a third warehouse",
        "sources": [f"https://globex-{suffix}.com/news"]})
    targets = await call(session, "find_expansion_targets", {"contact_id": ana["id"], "min_strength": "strong"})
    seen["expansion_targets"] = [t["contact"]["first_name"] for t in targets["data"]]

    # Draft, QC, send, reply.
    draft = await call(session, "create_draft", {
        "contact_id": ana["id"], "channel": "email", "touch_type": "email", "subject_line": "Three warehouses",
        "body": "Hi Ana, a third warehouse means a third schedule to keep. We helped Initech cut idle dock time by a fifth. Open to a short call next week?"})
    qc = await call(session, "run_draft_qc", {"draft_id": draft["id"]})
    seen["qc_flags"] = [f["code"] for f in qc["flags"]]
    touch = await call(
        session, "log_touchpoint", {"contact_id": ana["id"], "channel": "email", "subject": "Three warehouses"},
        meta={"prompt_tokens": 1500, "completion_tokens": 400, "model": "claude-sonnet-4", "cost": 0.021})
    reply = await call(session, "record_reply", {
        "contact_id": ana["id"], "touchpoint_id": touch["id"], "intent": "referral", "referral_name": "Ben Ruiz",
        "referral_title": "CFO", "raw_text": "Ben decides this, ask him."})
    seen["next_step"] = reply["recommended_next_step"]
    await call(session, "log_llm_usage", {
        "workflow_name": "outreach", "node_name": "draft", "model": "claude-sonnet-4", "prompt_tokens": 900,
        "completion_tokens": 350, "latency_ms": 2100, "cost": 0.014})

    # Refusals: do-not-contact, a bad argument, an unknown tool.
    seen["dnc"] = await call(session, "log_touchpoint", {"contact_id": dee["id"], "channel": "email"}, expect_error=True)
    seen["bad_argument"] = await call(session, "get_contact", {"contact_id": "not-an-id"}, expect_error=True)
    try:
        await session.call_tool("drop_everything", {})
        fail("an unknown tool was answered")
    except Exception as error:  # the SDK raises on a JSON-RPC error
        seen["unknown_tool"] = getattr(getattr(error, "error", None), "code", None) or str(error)

    # Resources and prompts.
    templates = (await session.list_resource_templates()).resource_templates
    seen["templates"] = [t.uri_template for t in templates]
    context = await session.read_resource(f"touchbase://contacts/{ana['id']}/context")
    seen["resource_contact"] = json.loads(context.contents[0].text)["contact"]["first_name"]
    prompt = await session.get_prompt("account_brief", {"company_id": company["id"]})
    seen["prompt_mentions_company"] = f"Globex {suffix}" in prompt.messages[0].content.text
    seen["company_id"] = company["id"]
    return seen


async def main():
    mode = sys.argv[1]
    info = types.Implementation(name="research-agent", version="1.0")
    if mode == "stdio":
        params = StdioServerParameters(command=sys.argv[2], args=["mcp", "--database", sys.argv[3]])
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write, client_info=info) as session:
                seen = await scenario(session, "stdio")
    else:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client
        async with create_mcp_http_client(headers={"Authorization": f"Bearer {sys.argv[3]}"}) as http:
            async with streamable_http_client(sys.argv[2], http_client=http) as streams:
                async with ClientSession(streams[0], streams[1], client_info=info) as session:
                    seen = await scenario(session, "http")
    print(json.dumps(seen))


asyncio.run(main())
