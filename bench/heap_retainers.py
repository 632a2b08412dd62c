"""Who keeps the objects that are new in a later heap snapshot: their retainer chains, counted.

Run: .venv/bin/python bench/heap_retainers.py BEFORE.heapsnapshot AFTER.heapsnapshot
         [--group "object:Object"] [--depth 8] [--top 12] [--net]

Takes two snapshots of the same page saved by bench/heap_diff.py --save. V8 keeps an object's
node id across snapshots of one page, so the objects of AFTER whose id is not in BEFORE were
allocated in between and survived a GC (Chrome DevTools' "objects allocated between
snapshots"). For those of one group (node type and name, as heap_diff prints them) it walks
from each object to the first strong retainer, then that one's, up to --depth, and counts the
chains: the most common chain names the data structure that grows. Objects that only replace
older ones (React state, a redrawn chart) are new too; --net counts the chains of every object
of the group in both snapshots and prints the chains whose count grew: what accumulates.
"""

import argparse
import collections
import json
import sys
from pathlib import Path

WEAK = {"weak", "shortcut"}


class Snapshot:
    def __init__(self, path: Path):
        data = json.loads(path.read_text())
        meta = data["snapshot"]["meta"]
        self.node_fields, self.edge_fields = meta["node_fields"], meta["edge_fields"]
        self.node_types, self.edge_types = meta["node_types"][0], meta["edge_types"][0]
        self.nodes, self.edges, self.strings = data["nodes"], data["edges"], data["strings"]
        self.width, self.edge_width = len(self.node_fields), len(self.edge_fields)
        self.count = len(self.nodes) // self.width

    def field(self, index: int, name: str) -> int:
        return self.nodes[index * self.width + self.node_fields.index(name)]

    def label(self, index: int) -> str:
        kind = self.node_types[self.field(index, "type")]
        return f"{kind}:{self.strings[self.field(index, 'name')][:60]}"

    def ids(self) -> set[int]:
        at = self.node_fields.index("id")
        return {self.nodes[i * self.width + at] for i in range(self.count)}

    def retainers(self) -> dict[int, list[tuple[int, str]]]:
        """node index -> [(retaining node index, edge name)] over strong edges."""
        by_target: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
        edge_count_at = self.node_fields.index("edge_count")
        type_at, name_at, to_at = (self.edge_fields.index(f) for f in ("type", "name_or_index", "to_node"))
        edge = 0
        for node in range(self.count):
            for _ in range(self.nodes[node * self.width + edge_count_at]):
                base = edge * self.edge_width
                kind = self.edge_types[self.edges[base + type_at]]
                if kind not in WEAK:
                    raw_name = self.edges[base + name_at]
                    name = self.strings[raw_name] if kind in ("context", "property", "internal") else f"[{raw_name}]"
                    by_target[self.edges[base + to_at] // self.width].append((node, name))
                edge += 1
        return by_target


def chain(snapshot: Snapshot, retainers: dict, node: int, depth: int) -> str:
    steps, seen = [], {node}
    for _ in range(depth):
        holders = [(r, n) for r, n in retainers.get(node, []) if r not in seen]
        if not holders:
            break
        node, edge = holders[0]
        seen.add(node)
        steps.append(f"{snapshot.label(node)}.{edge}")
    return " <- ".join(steps) or "(no strong retainer)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--group", default="object:Object", help="type:name of the new objects")
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--net", action="store_true", help="chains whose count grew, all objects")
    args = parser.parse_args()
    before, after = Snapshot(args.before), Snapshot(args.after)
    if args.net:
        grown = chain_counts(after, args) - chain_counts(before, args)
        print(f"chains of {args.group} that grew from {args.before.name} to {args.after.name}")
        for text, count in grown.most_common(args.top):
            print(f"{count:+6d}  {text}")
        return 0
    old_ids = before.ids()
    id_at = after.node_fields.index("id")
    new = [i for i in range(after.count)
           if after.nodes[i * after.width + id_at] not in old_ids and after.label(i) == args.group]  # fmt: skip
    print(f"{len(new)} new objects of {args.group}")
    retainers = after.retainers()
    chains = collections.Counter(chain(after, retainers, node, args.depth) for node in new)
    for text, count in chains.most_common(args.top):
        print(f"{count:6d}  {text}")
    return 0


def chain_counts(snapshot: Snapshot, args) -> collections.Counter:
    retainers = snapshot.retainers()
    nodes = [i for i in range(snapshot.count) if snapshot.label(i) == args.group]
    return collections.Counter(chain(snapshot, retainers, node, args.depth) for node in nodes)


if __name__ == "__main__":
    sys.exit(main())
