"""What a codeeff-hf run costs, measured in the same run as the quality metrics.

Modules (none is imported here, so importing one light module does not load torch):

* :mod:`.execution_log` -- per-forward log of what ran (two hooks on the top-level model; early exit adds its skips);
* :mod:`.flops` -- analytic FLOPs of a logged step from the installed modules (executed and dense-equivalent);
* :mod:`.energy`, :mod:`.memory`, :mod:`.device` -- the physical meters (Zeus energy, peak memory, device sync and
  the environment fingerprint);
* :mod:`.efficiency_record` -- run totals and the record's figures (``results["config"]["efficiency"]``);
* :mod:`.generation_stats` -- per-request figures carried by the generated strings (``GenerationWithStats``);
* :mod:`.accounting` -- one run's bookkeeping: turns logged steps, clocks and meters into totals, per-request
  figures and the record.
"""
