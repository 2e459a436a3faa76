#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Captures golden nf_tables messages from the running kernel.

Applies ruleset.nft (next to this script) with `nft -f` in a scratch
network namespace, dumps tables, chains, rules, sets, set elements and
objects over a raw NETLINK_NETFILTER socket, and writes
tests/unit/nft_golden_data.hpp: every message's bytes, what produced it
(the rule text from `nft -a list ruleset`), and for rules the rendering
that `nft --debug=netlink list ruleset` prints (libnftnl's, the oracle
for expr render()). Kinds the kernel cannot load here (queue) come from
the request `nft --debug=mnl` sends (the same attributes).

Run as root: tests/golden/capture_nft.py  (re-run after changing the
ruleset; the output is committed).
"""
import os, re, socket, struct, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "unit", "nft_golden_data.hpp")
NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
MSG = {"GETTABLE": 1, "GETCHAIN": 4, "GETRULE": 7, "GETSET": 10,
       "GETSETELEM": 13, "GETOBJ": 19, "GETFLOWTABLE": 23}
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300


def attr(t, payload):
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def dump(sock, msg, family=0, attrs=b"", seq=[1]):
    seq[0] += 1
    body = struct.pack("=BBH", family, 0, 0) + attrs
    hdr = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_NFTABLES << 8) | MSG[msg],
                      NLM_F_REQUEST | NLM_F_DUMP, seq[0], 0)
    sock.send(hdr + body)
    out = []
    while True:
        data = sock.recv(1 << 20)
        off = 0
        while off < len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if typ == 3:  # NLMSG_DONE
                return out
            if typ == 2:
                raise RuntimeError("netlink error in %s" % msg)
            out.append(data[off:off + ln])
            off += (ln + 3) & ~3


def attrs_of(m):
    """Top-level attributes of an nf_tables message: {type: payload}."""
    res, off = {}, 20
    while off + 4 <= len(m):
        ln, t = struct.unpack_from("=HH", m, off)
        res[t & 0x3fff] = m[off + 4:off + ln]
        off += (ln + 3) & ~3
    return res


def cstr(b):
    return b.split(b"\0")[0].decode()


def inner():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    msgs = []
    for kind in ("GETTABLE", "GETCHAIN", "GETRULE", "GETSET", "GETOBJ"):
        got = dump(s, kind)
        msgs += [(kind[3:].lower(), m) for m in got]
        if kind == "GETSET":
            for m in got:
                a = attrs_of(m)
                req = attr(1, a[1]) + attr(2, a[2])  # LIST_TABLE, LIST_SET
                msgs += [("setelem", e) for e in dump(s, "GETSETELEM", m[16], req)]
    sys.stdout.write(repr([(k, m.hex()) for k, m in msgs]))


def nft(ns, *args):
    return subprocess.run(["ip", "netns", "exec", ns, "nft", *args], check=True,
                          capture_output=True, text=True).stdout


def renders(text):
    """`nft --debug=netlink list ruleset` → {(family, table, chain, handle): lines}."""
    res, key = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w+) (\S+) (\S+) (\d+)( \d+)?$", line)
        if m:
            key = (m[1], m[2], m[3], int(m[4]))
            res[key] = []
        elif line.startswith("  [") and key:
            res[key].append(line[2:])
        elif not line.strip():
            key = None
    return res


def rule_texts(text):
    res, fam, table, chain = {}, None, None, None
    for line in text.splitlines():
        m = re.match(r"^table (\w+) (\S+) \{", line)
        if m:
            fam, table = m[1], m[2]
        m = re.match(r"^\s+chain (\S+) \{", line)
        if m:
            chain = m[1]
        m = re.match(r"^\s+(.*) # handle (\d+)$", line)
        if m and chain and not m[1].rstrip().endswith("{"):
            res[(fam, table, chain, int(m[2]))] = m[1]
    return res


FAMILIES = {1: "inet", 2: "ip", 10: "ip6", 5: "netdev", 7: "bridge", 3: "arp"}


def mnl_request(ns, rule):
    """The NEWRULE message `nft --debug=mnl` prints for `rule` (kernels
    without the expression's module reject it, the bytes are still nft's)."""
    p = subprocess.run(["ip", "netns", "exec", ns, "nft", "--debug=mnl", "add", "rule"] + rule.split(" ", 3),
                       capture_output=True, text=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout + p.stderr)
    blocks = text.split("|  message length |")
    for b in blocks:
        pass
    # Rebuild the bytes: header rows and attribute/data rows in order.
    out, cur = [], None
    for line in text.splitlines():
        m = re.match(r"^\|\s+(\d+)\s+\|\s+\| message length \|", line)
        if m:
            if cur is not None:
                out.append(cur)
            cur = bytearray(struct.pack("=I", int(m[1])))
            continue
        if cur is None:
            continue
        m = re.match(r"^\| (\d+) \| (\S+) \|\s+\|  type \| flags  \|", line)
        if m:
            cur += struct.pack("=HH", int(m[1]), 0x1 | 0x4)
            continue
        if "| sequence number|" in line or "|     port ID    |" in line:
            cur += struct.pack("=I", int(line.split("|")[1]))
            continue
        m = re.match(r"^\|(\d{5})\|(..)\|(\d{5})\|\s+\|len \|flags\| type\|", line)
        if m:
            t = int(m[3]) | (0x8000 if "N" in m[2] else 0) | (0x4000 if "B" in m[2] else 0)
            cur += struct.pack("=HH", int(m[1]), t)
            continue
        m = re.match(r"^\| ((?:[0-9a-f]{2} ){4}) \|\s+\|(?:  extra header  |      data      )\|", line)
        if m:
            cur += bytes.fromhex(m[1].replace(" ", ""))
    if cur is not None:
        out.append(cur)
    for m in out:
        if struct.unpack_from("=H", m, 4)[0] == (NFNL_SUBSYS_NFTABLES << 8) | 6:
            return bytes(m)
    raise RuntimeError("no NEWRULE in nft --debug=mnl output for " + rule)


def outer():
    ns = "nfactor-golden-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        nft(ns, "-f", os.path.join(HERE, "ruleset.nft"))
        raw = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inner"],
                             check=True, capture_output=True, text=True).stdout
        msgs = [(k, bytes.fromhex(h)) for k, h in eval(raw)]
        rend = renders(nft(ns, "--debug=netlink", "list", "ruleset"))
        texts = rule_texts(nft(ns, "-a", "list", "ruleset"))
        kernel = os.uname().release
        extra = [("rule", mnl_request(ns, "ip t2 c queue num 1-3 fanout"),
                  "nft --debug=mnl add rule ip t2 c queue num 1-3 fanout (request; no nft_queue here)",
                  ["[ queue num 1-3 fanout ]"])]
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    rows = []
    for kind, m in msgs:
        a = attrs_of(m)
        fam = FAMILIES.get(m[16], str(m[16]))
        render = None
        if kind == "rule":
            key = (fam, cstr(a[1]), cstr(a[2]), struct.unpack(">Q", a[3])[0])
            src = "rule %s %s %s handle %d: %s" % (key[0], key[1], key[2], key[3], texts.get(key, "?"))
            render = rend.get(key)
        elif kind == "setelem":
            src = "elements of set %s %s %s" % (fam, cstr(a[1]), cstr(a[2]))
        elif kind == "table":
            src = "table %s %s" % (fam, cstr(a[1]))
        else:
            src = "%s %s %s %s" % (kind, fam, cstr(a[1]), cstr(a[2]))
        rows.append((kind, m, "kernel dump reply: " + src, render))
    for kind, m, src, render in extra:
        rows.append((kind, m, src, render))
    with open(OUT, "w") as f:
        f.write("// SPDX-License-Identifier: Apache-2.0\n")
        f.write("// Generated by tests/golden/capture_nft.py from tests/golden/ruleset.nft\n")
        f.write("// (kernel %s, %s). Do not edit: re-run the script.\n" %
                (kernel, subprocess.run(["nft", "--version"], capture_output=True, text=True).stdout.strip()))
        f.write("#pragma once\n\n#include <cstdint>\n#include <vector>\n\n"
                "namespace nfactor::test {\n\n"
                "/// One captured nf_tables message.\nstruct nft_golden {\n"
                "  /// \"table\", \"chain\", \"rule\", \"set\", \"setelem\", \"obj\".\n  const char* kind;\n"
                "  /// What produced it.\n  const char* source;\n"
                "  /// `nft --debug=netlink` rendering of a rule's expressions, or nullptr.\n  const char* render;\n"
                "  /// The whole message, nlmsghdr included.\n  std::vector<std::uint8_t> bytes;\n};\n\n"
                "inline const std::vector<nft_golden>& nft_golden_messages() {\n"
                "  static const std::vector<nft_golden> all = {\n")
        for kind, m, src, render in rows:
            r = "nullptr" if render is None else '"' + "\\n".join(x.replace("\\", "\\\\").replace('"', '\\"') for x in render) + '\\n"'
            f.write("    {\"%s\",\n     \"%s\",\n     %s,\n     {" % (kind, src.replace("\\", "\\\\").replace('"', '\\"'), r))
            for i in range(0, len(m), 12):
                f.write(("\n      " if i % 12 == 0 else "") + " ".join("0x%02x," % b for b in m[i:i + 12]))
            f.write("}},\n")
        f.write("  };\n  return all;\n}\n\n} // namespace nfactor::test\n")
    print("wrote %d messages to %s" % (len(rows), OUT))


if __name__ == "__main__":
    inner() if sys.argv[1:] == ["--inner"] else outer()
