"""Loaders of the built-in graphs (networkx's own): string node names and a ``group`` on every
node (the karate club's two clubs after the split, seeded modularity communities otherwise)."""

from __future__ import annotations

from typing import Any


def add_communities(graph: Any) -> None:
    """A ``group`` per node from seeded Louvain communities, largest first."""
    import networkx as nx

    communities = nx.community.louvain_communities(graph, seed=0)
    for index, members in enumerate(sorted(communities, key=lambda c: (-len(c), sorted(map(str, c))))):
        for node in members:
            graph.nodes[node]["group"] = f"community {index + 1}"


def _named(graph: Any) -> Any:
    import networkx as nx

    return nx.relabel_nodes(graph, {n: str(n) for n in graph.nodes}, copy=True)


def karate() -> Any:
    """Zachary's karate club; groups are the two clubs after the split."""
    import networkx as nx

    graph = nx.karate_club_graph()
    for _, data in graph.nodes(data=True):
        data["group"] = data.get("club", "")
    return _named(graph)


def lesmis() -> Any:
    """Les Misérables co-appearances; groups are seeded modularity communities."""
    import networkx as nx

    graph = nx.les_miserables_graph()
    add_communities(graph)
    return _named(graph)


def florentine() -> Any:
    """Florentine families' marriages; groups are seeded modularity communities."""
    import networkx as nx

    graph = nx.florentine_families_graph()
    add_communities(graph)
    return _named(graph)
