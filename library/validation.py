"""Upload validation (pure: bytes in, parsed plan or a Vietnamese error out).

File type by extension and by content, the admin's province/year overrides, and "is this a plan?".
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import re
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.errors import CorpusError, LoaderError, NotAPlanError
from corpus.faq import NATIONAL, faq_kind, norm_scope
from corpus.faq_files import is_faq, parse_faq
from corpus.loaders import SUPPORTED, load_bytes
from corpus.parser import parse_document
from corpus.records import ParsedPlan
from corpus.structure import build_outline
from corpus.vocab import Vocabulary, fold
from library.errors import LibraryError

log = logging.getLogger("cchc.admin")

_OLE = b"\xd0\xcf\x11\xe0"
_FORMATS = ", ".join(SUPPORTED)


# ---- errors (the API maps each to an HTTP status; messages reach admins as they are) --------------

class UnsupportedTypeError(LoaderError):
    """The file name's extension is not one we read."""


class ContentMismatchError(LoaderError):
    """The bytes are of another type than the extension says (PDF named .docx, zip named .txt…)."""


class InvalidMetadataError(LibraryError):
    """A province/year given by the admin is not valid, or the plan's province cannot be found."""


# ---- checks ------------------------------------------------------------------------------------------

def check_extension(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in SUPPORTED:
        shown = f"'{ext}'" if ext else "không có phần mở rộng"
        raise UnsupportedTypeError(
            f"Định dạng tệp {shown} không được hỗ trợ. Chỉ nhận kế hoạch dạng {_FORMATS} "
            "(tệp Word cũ .doc cần lưu lại thành .docx)."
        )
    return ext


_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")


def sniff(data: bytes) -> str:
    """What the bytes look like: 'pdf', 'zip', 'ole' (old Word / encrypted Office), 'image', 'binary' or 'text'."""
    if _PDF_HEADER.search(data[:1024]):
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:4] == _OLE:
        return "ole"
    if data.startswith(_IMAGES):
        return "image"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


_KIND_NAMES = {
    "pdf": "PDF",
    "zip": "tệp nén ZIP (hoặc Word .docx)",
    "ole": "tài liệu Word cũ (.doc) hoặc tệp Office có mật khẩu",
    "image": "ảnh (PNG/JPEG/GIF/TIFF) — cần nhận dạng chữ (OCR) hoặc bản .docx gốc",
    "binary": "dữ liệu nhị phân không xác định, không phải văn bản",
    "text": "văn bản thuần",
}


def check_content(data: bytes, ext: str) -> None:
    """Refuse bytes whose real type does not match the extension, naming both."""
    if not data.strip():
        raise LoaderError("Tệp rỗng: không có nội dung để đọc.")
    kind = sniff(data)
    expected = {".pdf": "pdf", ".docx": "zip", ".txt": "text", ".md": "text", ".csv": "text", ".xlsx": "zip"}[ext]
    if kind == "ole" and ext == ".docx":
        return  # the .docx loader explains .doc and password-protected files itself
    if kind != expected:
        raise ContentMismatchError(
            f"Nội dung tệp không khớp với phần mở rộng {ext}: tệp thực chất là {_KIND_NAMES[kind]}. "
            "Vui lòng kiểm tra lại tệp hoặc đặt đúng phần mở rộng rồi tải lên lại."
        )


def normalise_overrides(province: str | None, year: int | str | None, vocab: Vocabulary,
                        kind: str | None = None) -> dict[str, Any]:
    """Validate the admin's province/year (and document kind); map any known spelling of a province to its name.

    ``kind`` "faq" (also "hỏi đáp", "hướng dẫn") marks an FAQ/guide upload, whose province may be "toàn quốc".
    """
    out: dict[str, Any] = {}
    if kind is not None and str(kind).strip():
        folded = fold(str(kind))
        if faq_kind(str(kind)) or folded == "faq":
            out["kind"] = "faq"
        elif folded in ("plan", "ke hoach", "ke-hoach"):
            out["kind"] = "plan"
        else:
            raise InvalidMetadataError(f"Loại văn bản '{str(kind)[:30]}' không hợp lệ: dùng “plan” (kế hoạch) hoặc "
                                       "“faq” (hướng dẫn / hỏi đáp).")
    if out.get("kind") == "faq" and province is not None and norm_scope(province, vocab) == NATIONAL:
        out["province"] = NATIONAL
        province = None
    if province is not None and str(province).strip():
        raw = " ".join(str(province).split())
        key = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", fold(raw)).strip()
        names = vocab.province_names()
        if key not in names:
            raise InvalidMetadataError(
                f"Tỉnh '{raw[:60]}' không có trong danh mục tỉnh, thành phố. Hãy nhập tên tỉnh như trong kế hoạch, "
                "ví dụ: Cà Mau, Quảng Bình."
            )
        out["province"] = names[key]
    if year is not None and str(year).strip():
        try:
            value = int(str(year).strip())
        except ValueError:
            raise InvalidMetadataError(
                f"Năm '{str(year)[:20]}' không hợp lệ: hãy nhập năm dạng số, ví dụ 2025.") from None
        if not 2000 <= value <= 2100:
            raise InvalidMetadataError(f"Năm {value} không hợp lệ: năm của kế hoạch phải trong khoảng 2000–2100.")
        out["year"] = value
    return out


def plan_problems(doc: Document, parsed: ParsedPlan) -> list[str]:
    """What a plan should have and this document lacks (empty when it looks like a plan).

    A plan needs a body (roman-numbered parts, agency blocks in "Tổ chức thực hiện" or an appendix
    task table) and something that says it is a plan (a "KẾ HOẠCH" title, agency blocks or tasks).
    """
    parts = len(build_outline(doc).parts)
    title, blocks, tasks = bool(parsed.plan.title), parsed.agency_blocks > 0, bool(parsed.tasks)
    if (parts or blocks or tasks) and (title or blocks or tasks):
        return []
    missing = []
    if not title:
        missing.append("không có tiêu đề “KẾ HOẠCH”")
    if not parts:
        missing.append("không có các phần đánh số La Mã (I., II., …)")
    if not blocks:
        missing.append("không có phần “Tổ chức thực hiện” với các khối nhiệm vụ của từng cơ quan")
    if not tasks:
        missing.append("không có bảng phụ lục nhiệm vụ (STT, Nội dung, Cơ quan chủ trì, …)")
    return missing


class ParseTimeoutError(NotAPlanError):
    """Parsing the upload took longer than the budget (a pathological file); the worker was killed."""


# Seconds an upload may spend in load + parse; None parses in the calling thread (CLI, tests).
# The service sets it at start (``configure``) so that a hostile file can neither hold the GIL
# for everyone (it runs in a child process) nor run for ever (the child is killed at the deadline).
_budget: float | None = None


def configure(parse_timeout: float | None) -> None:
    global _budget
    _budget = parse_timeout if parse_timeout and parse_timeout > 0 else None


def validate(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
             overrides: dict[str, Any] | None = None, timeout: float | None = None) -> ParsedPlan:
    """Bytes -> ParsedPlan, or LoaderError / NotAPlanError / InvalidMetadataError (Vietnamese).

    With a time budget (``timeout`` or the configured one) the work runs in a child process.
    """
    budget = timeout if timeout is not None else _budget
    if budget is None:
        return _validate(data, filename, doc_id, vocab, overrides)
    check_extension(filename)
    return run_with_budget(_validate, (data, filename, doc_id, vocab, overrides), budget)


class _Workers:
    """A small pool of spawned parser processes, reused between uploads and replaced when one is killed."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the server has threads (uvicorn, Chroma) that a fork would copy mid-flight
                self._pool = ProcessPoolExecutor(self.size, mp_context=mp.get_context("spawn"))
            return self._pool

    def kill(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for proc in list(getattr(pool, "_processes", {}).values()):  # no public API kills a running task
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)


_workers = _Workers()


def run_with_budget(fn: Callable[..., Any], args: tuple, budget: float) -> Any:
    """``fn(*args)`` in a worker process; the worker is killed and ParseTimeoutError raised after ``budget`` s."""
    pool = _workers.pool()
    try:
        future = pool.submit(fn, *args)
        return future.result(timeout=budget)
    except FutureTimeout:
        _workers.kill(pool)
        log.warning("parsing an upload exceeded %.1f s; parser process killed", budget)
        raise ParseTimeoutError(
            f"Không phân tích được tệp trong thời gian cho phép ({budget:g} giây): nội dung có cấu trúc bất "
            "thường (ví dụ: đoạn văn rất dài không có dấu câu). Hãy kiểm tra lại tệp hoặc chia nhỏ văn bản.") from None
    except BrokenProcessPool:
        _workers.kill(pool)
        raise NotAPlanError("Không phân tích được nội dung tệp thành kế hoạch (tiến trình phân tích dừng "
                            "bất thường).") from None


def _validate(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
              overrides: dict[str, Any] | None = None) -> ParsedPlan:
    ext = check_extension(filename)
    check_content(data, ext)
    if is_faq(data, filename, overrides):
        return _validate_faq(data, filename, doc_id, vocab, overrides)
    try:
        doc = load_bytes(data, filename)
    except LoaderError:
        raise
    except Exception as exc:  # a loader bug on a crafted file must be a 4xx, not a traceback
        log.warning("loader failed on %s upload: %s", ext, type(exc).__name__)
        raise LoaderError(f"Không đọc được tệp {ext}: tệp bị hỏng hoặc có cấu trúc không đọc được.") from exc
    try:
        parsed = parse_document(doc, doc_id, vocab, overrides or None)
    except Exception as exc:
        log.warning("parser failed on an upload: %s", type(exc).__name__)
        raise NotAPlanError("Không phân tích được nội dung tệp thành kế hoạch (lỗi khi đọc cấu trúc văn bản).") from exc
    missing = plan_problems(doc, parsed)
    if missing:
        raise NotAPlanError(
            f"Tệp '{filename}' không giống một kế hoạch thông tin, tuyên truyền CCHC: " + "; ".join(missing) + ". "
            "Hãy kiểm tra lại xem đã chọn đúng tệp chưa."
        )
    if not parsed.plan.province:
        raise InvalidMetadataError(
            "Không xác định được tỉnh ban hành kế hoạch (không thấy “ỦY BAN NHÂN DÂN TỈNH …” hay địa danh ở dòng "
            "ngày tháng). Hãy nhập tên tỉnh (trường “province” / tùy chọn --province) rồi tải lên lại."
        )
    return parsed


def _validate_faq(data: bytes, filename: str, doc_id: str, vocab: Vocabulary,
                  overrides: dict[str, Any] | None) -> ParsedPlan:
    """An FAQ/guide upload: its own parser; no plan checks (it has no parts, agencies or appendix)."""
    try:
        return parse_faq(data, filename, doc_id, vocab, overrides)
    except CorpusError:
        raise
    except Exception as exc:  # a parser bug on a crafted file must be a 4xx, not a traceback
        log.warning("FAQ parser failed on an upload: %s", type(exc).__name__)
        raise LoaderError("Không đọc được tệp hỏi đáp: tệp bị hỏng hoặc có cấu trúc không đọc được.") from exc
