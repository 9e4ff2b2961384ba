"""Units as columns (issue 12): a version assembled from plan slices of others reads back the same units."""

from __future__ import annotations

from retrieval.units import Unit
from retrieval.unittable import PlanRows, UnitTable


def _plan(doc_id: str, n: int) -> list[Unit]:
    kinds = ["plan", "task", "duty", "passage"]
    return [Unit(f"{doc_id}:{kinds[i % 4]}:{i}", kinds[i % 4], doc_id, i, f"{doc_id} văn bản số {i} – Sở Nội vụ")
            for i in range(n)]


def test_a_table_of_plan_slices_saves_and_reads_back_the_same_units(tmp_path):
    a, b, c = _plan("ke-hoach-a", 5), _plan("ke-hoach-b", 3), _plan("ke-hoach-c", 4)
    first = UnitTable.from_units(a + b, [f"v{i}" if i % 2 else "" for i in range(8)],
                                 [PlanRows("ke-hoach-a", "ka", 0, 5), PlanRows("ke-hoach-b", "kb", 5, 8)])
    fresh = UnitTable.from_units(c, ["x"] * 4, [PlanRows("ke-hoach-c", "kc", 0, 4)])
    # b kept, a withdrawn, c added
    table = UnitTable.concat([(first, first.plans[1]), (fresh, fresh.plans[0])])
    table.save(tmp_path)
    back = UnitTable.load(tmp_path)
    assert list(back) == b + c and back[-1] == c[-1] and back[1:3] == b[1:3]
    assert back.vids == ["v5", "", "v7", "x", "x", "x", "x"]
    assert [(p.doc_id, p.key, p.start, p.end) for p in back.plans] == [("ke-hoach-b", "kb", 0, 3),
                                                                        ("ke-hoach-c", "kc", 3, 7)]
    assert {d: list(r) for d, r in back.rows_by_doc().items()} == {"ke-hoach-b": [0, 1, 2],
                                                                   "ke-hoach-c": [3, 4, 5, 6]}
