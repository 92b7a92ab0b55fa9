"""A task's metrics are computed, logged and reset at every epoch end: their state never outlives an epoch."""

import csv

import pytorch_lightning as pl
from pytorch_lightning.loggers import CSVLogger

from polyseq.data.module import SequenceDataModule
from polyseq.training.module import SequenceModel


def stored(metrics) -> int:
    """Predictions an AUROC holds (without thresholds it keeps every one until reset)."""
    return sum(p.shape[0] for p in metrics["auroc"].preds)


class MetricStates(pl.Callback):
    """Records the classify metrics' state of each stage at the start and end of every epoch."""

    def __init__(self):
        self.start = {"train": [], "val": []}
        self.end = {"train": [], "val": []}
        self.most_in_train = 0

    def _record(self, table, model, stage):
        metrics = model.stage_metrics(stage)
        table[stage].append((stored(metrics), int(metrics["acc"].update_count)))

    def on_train_epoch_start(self, trainer, model):
        self._record(self.start, model, "train")

    def on_train_batch_end(self, trainer, model, *args):
        self.most_in_train = max(self.most_in_train, stored(model.stage_metrics("train")))

    def on_train_epoch_end(self, trainer, model):  # callbacks run before the model's hook, which resets
        self._record(self.end, model, "train")

    def on_validation_epoch_start(self, trainer, model):
        self._record(self.start, model, "val")

    def on_validation_epoch_end(self, trainer, model):
        self._record(self.end, model, "val")


def test_metric_state_is_reset_between_epochs_and_logged_every_epoch(tmp_path, toy_csv):
    pl.seed_everything(0)
    data = SequenceDataModule(domain="toy", train=str(toy_csv), task="classify", target="label", batch_size=8)
    model = SequenceModel(d_model=16, n_layers=1, n_heads=2, dropout=0.0, warmup_steps=2, data_info=data.data_info)
    states = MetricStates()
    trainer = pl.Trainer(accelerator="cpu", max_epochs=2, logger=CSVLogger(tmp_path), callbacks=[states],
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         num_sanity_val_steps=0, log_every_n_steps=1)
    trainer.fit(model, datamodule=data)
    n_train, n_val = len(data.datasets["train"]), len(data.datasets["val"])
    batches = -(-n_train // 8)

    assert model.stage_metrics("train") is not model.stage_metrics("val")
    assert states.start == {"train": [(0, 0), (0, 0)], "val": [(0, 0), (0, 0)]}  # empty at every epoch start
    assert states.end["train"] == [(n_train, batches), (n_train, batches)]  # one epoch's samples, never two
    assert states.end["val"] == [(n_val, -(-n_val // 8))] * 2
    assert states.most_in_train == n_train

    rows = list(csv.DictReader(open(next(tmp_path.rglob("metrics.csv")))))
    for key in ("train/acc", "val/acc", "train/auroc", "val/auroc", "val/f1"):
        assert sorted(int(r["epoch"]) for r in rows if r.get(key)) == [0, 1], key  # once per epoch, every epoch
