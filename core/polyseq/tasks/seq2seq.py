"""`seq2seq`: a target sequence per record, possibly of another domain (DNA -> protein, reactants -> product).

A record's target is the target sequence as text (a column, `--data.target`), parsed by the target
domain (`--data.target_domain`, default: the source's) and tokenized by `--data.target_tokenizer`
(default: the source tokenizer when the domains agree, a shared vocabulary; else the target domain's
default tokenizer, trained on the train split's targets). The model is an encoder-decoder
(`polyseq.models.encdec`): the backbone in mode "bidirectional" reads the source, the same backbone
in mode "decoder" writes the target with cross-attention, trained by teacher forcing.

Metrics: token accuracy and exact match under teacher forcing. Exact match counts a target whose
every next token (and the final <eos>) is the model's top choice among the tokens decoding may
emit, which is exactly when greedy decoding reproduces the target; so it is greedy decoding's
exact match, without decoding. During `fit` a few validation sources are also decoded and judged
by the target domain's own metrics (validity for SMILES, ...) as `val/gen_*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.errors import ConfigError, ReaderError
from polyseq.tasks.base import Task, records_with_targets
from polyseq.tasks.lm import token_loss
from polyseq.tokenizers.base import PAD_ID

if TYPE_CHECKING:
    import torch


class TargetIds:
    """`RecordDataset` extras: record i's target ids, at most max_length - 1 (room for <bos>/<eos>)."""

    def __init__(self, ragged: Any, max_length: int):
        self.ragged, self.max_length = ragged, max_length

    def __call__(self, i: int, n: int) -> dict[str, torch.Tensor]:
        import torch

        return {"target_ids": torch.from_numpy(self.ragged.sequence(i)[: self.max_length - 1].astype("int64"))}


class Seq2Seq(Task):
    name = "seq2seq"
    description = "a target sequence per record (encoder-decoder, teacher forcing); exact match, token accuracy"
    needs_target = True
    record_target = "a target sequence (text of --data.target_domain)"
    uses_target_domain = True
    generates = "input"
    primary_metric = ("exact_match",)
    higher_is_better = True
    report_metrics = ("token_acc",)

    # ---- data ------------------------------------------------------------------------------------

    def check_config(self, data: Any) -> list[str]:
        from polyseq.plugins import registry

        problems = super().check_config(data)
        name = data.hparams.get("target_domain")
        if name and name not in registry().domains:
            from polyseq.errors import unknown_name

            problems.append(str(unknown_name("domain", name, registry().domains, where=" (--data.target_domain)")))
        return problems

    def prepare_targets(self, records: Any, tokenizer: Any, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        from polyseq import get_domain
        from polyseq.tokenizers.serialization import tokenizer_to_dict

        records_with_targets(records, data.target)
        hp = data.hparams
        domain_name = hp.get("target_domain") or data.domain_name
        domain = get_domain(domain_name)
        targets = {split: [self._parse(domain, r, data.target) for r in recs] for split, recs in records.items()}
        if domain_name == data.domain_name and not hp.get("target_tokenizer") and not hp.get("target_tokenizer_options"):
            target_tok = tokenizer  # one vocabulary for source and target
        else:
            target_tok = domain.make_tokenizer(hp.get("target_tokenizer"), **(hp.get("target_tokenizer_options") or {}))
            if getattr(target_tok, "trainable", False) and not getattr(target_tok, "is_trained", True):
                size = hp.get("target_vocab_size")
                target_tok.train(targets["train"], vocab_size=size) if size else target_tok.train(targets["train"])
        ids = {split: target_tok.encode_batch(samples) for split, samples in targets.items()}
        info = {"target_domain": domain_name, "target_tokenizer": tokenizer_to_dict(target_tok, domain_name),
                "target_vocab_size": target_tok.vocab_size}
        return ids, info

    @staticmethod
    def _parse(domain: Any, record: Any, target: Any) -> Any:
        if not isinstance(record.target, str):
            return record.target  # a sample already (e.g. from a reader yielding target samples)
        try:
            return domain.parse_text(record.target)
        except Exception as e:  # a domain's parser names what is wrong; add where it came from
            raise ReaderError(f"{record.where}: target of --data.target={target!r} is not a valid "
                              f"{domain.name} sample: {e}") from e

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=False, encode=encode,
                             extras=TargetIds(arrays.ragged, info.max_length))

    # ---- model -----------------------------------------------------------------------------------

    def build(self, model: Any) -> None:
        from polyseq.training.heads import LMHead

        info = model.info
        if info.target_vocab_size is None:
            raise ConfigError("a seq2seq model needs data_info.target_vocab_size (train it with polyseq fit)")
        model.backbone = model.make_backbone("bidirectional", info.vocab_size)
        model.decoder = model.make_backbone("decoder", info.target_vocab_size, pretrained=False)
        model.head = LMHead(model.decoder.token_embedding)

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        from polyseq.data.datasets import IGNORE
        from polyseq.training.metrics import ExactMatch

        return torchmetrics.MetricCollection({
            "token_acc": torchmetrics.Accuracy(task="multiclass", num_classes=int(info.target_vocab_size),
                                               ignore_index=IGNORE, average="micro"),
            "exact_match": ExactMatch(),
        })

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        from polyseq.generation import BANNED
        from polyseq.models.encdec import teacher_forcing

        targets = batch["target_ids"]
        tgt_in, tgt_mask, labels = teacher_forcing(targets, targets != PAD_ID)
        src_mask = batch.get("attention_mask")
        memory = model.backbone(batch["input_ids"], src_mask)
        logits = model.head(model.decoder(tgt_in, tgt_mask, memory=memory, memory_mask=src_mask))
        loss = token_loss(logits, labels)
        choices = logits.detach().float()
        choices[..., list(BANNED)] = float("-inf")  # what decoding may emit
        model.stage_metrics(stage).update(choices.argmax(-1), labels)
        return loss, {}

    # ---- decoding --------------------------------------------------------------------------------

    def inference_item(self, sample: Any, tokenizer: Any, info: Any) -> dict[str, Any]:
        import torch

        return {"input_ids": torch.tensor(tokenizer.encode(sample)[: info.max_length] or [PAD_ID], dtype=torch.long)}

    def translate(self, model: Any, sources: list[list[int]], options: Mapping[str, Any]) -> list[Any]:
        """Decoded target samples for source id lists (`options`: sampling, beam_size, max_new_tokens)."""
        from polyseq.generation import SamplingConfig
        from polyseq.models.decoding import translate
        from polyseq.models.encdec import EncoderDecoder

        cfg = options.get("sampling") or SamplingConfig(int(options.get("max_new_tokens") or model.info.max_length), 0.0)
        net = EncoderDecoder(model.backbone, model.decoder)
        ids = translate(net, sources, cfg, beam_size=int(options.get("beam_size") or 1),
                        length_penalty=float(options.get("length_penalty", 1.0)))
        return model.tokenizer(target=True).decode_batch(ids)

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        mask = batch["attention_mask"]
        sources = [row[real].tolist() for row, real in zip(batch["input_ids"], mask, strict=True)]
        return [{"prediction": str(s)} for s in self.translate(model, sources, options)]

    def generate(self, model: Any, inputs: list[Any], options: Mapping[str, Any]) -> list[Any]:
        tokenizer, limit = model.tokenizer(), model.info.max_length
        return self.translate(model, [tokenizer.encode(x)[:limit] for x in inputs], options)

    def metric_samples(self, model: Any, datamodule: Any, n: int, seed: int) -> list[Any] | None:
        val = getattr(datamodule, "datasets", {}).get("val")
        if val is None or len(val) == 0:
            return None
        from polyseq.generation import SamplingConfig

        sources = [val[i]["input_ids"].tolist() for i in range(min(n, len(val)))]
        return self.translate(model, sources, {"sampling": SamplingConfig(model.info.max_length, 0.0)})
