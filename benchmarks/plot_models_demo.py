"""The README's second picture: three models side by side and ALS's validation curve (demo data).

    python benchmarks/plot_models_demo.py      # writes docs/plot-models.png
"""

from __future__ import annotations

import reclite
from reclite import split
from reclite.plots import plot_metrics

ds = reclite.demo_dataset()
train, test = split.leave_last_out(ds, 1)
fit_part, valid = split.random_holdout(train, 0.2, random_state=0)
models = {"pop": reclite.Popularity(), "itemknn": reclite.ItemKNN(), "als": reclite.ALS(random_state=0)}
tables, curves = {}, {}
for name, model in models.items():
    if name == "als":  # a validation curve: fit on part of train, watch ndcg@10 on the rest
        model.fit(fit_part, eval_set=(fit_part, valid), eval_metric=["ndcg@10"])
        curves[name] = model.history_
    else:
        model.fit(train)
    tables[name] = reclite.evaluate(model, train, test, [5, 10, 20], ["ndcg", "recall", "coverage"])
plot_metrics(tables, "docs/plot-models.png", history=curves, title="pop vs itemknn vs als (demo, leave-last-out)")
