"""helpers: the engine behind the active-learning study's notebooks and paper.

Modules, one concern each:

- :mod:`helpers.paths`      -- every directory the project reads or writes
- :mod:`helpers.config`     -- the protocol configuration, validated once
- :mod:`helpers.compat`     -- the small modAL compatibility layer
- :mod:`helpers.data`       -- dataset loading, caching and preprocessing (one file per dataset)
- :mod:`helpers.datacheck`  -- the data of a job checked (and fetched) before any work
- :mod:`helpers.seeding`    -- the independent random streams of a run
- :mod:`helpers.splits`     -- validation / pool / initial labelled index sets
- :mod:`helpers.models`     -- logistic regression and the skorch-wrapped CNN
- :mod:`helpers.pool`       -- pool-based query strategies
- :mod:`helpers.stream`     -- stream-based query strategies (one-pass budgeted stream, ablation)
- :mod:`helpers.learner`    -- modAL's ActiveLearner with a buffered labelled set
- :mod:`helpers.strategies` -- the registry mapping names to strategies
- :mod:`helpers.loop`       -- one active-learning run
- :mod:`helpers.results`    -- the on-disk layout of results, written atomically
- :mod:`helpers.grid`       -- resumable grids of runs
- :mod:`helpers.executors`  -- where a grid's runs execute (serial, process pool, Dask)
- :mod:`helpers.notebook`   -- what the notebooks call: parameters checked, grids run, summaries
- :mod:`helpers.job`        -- the checks, plan and progress of ./run_all.sh (a subpackage by concern)
- :mod:`helpers.stats`      -- aggregation and statistical tests (a subpackage by concern)
- :mod:`helpers.figures`    -- one function per figure (a subpackage by figure family)
- :mod:`helpers.report`     -- LaTeX tables and macros for the paper (a subpackage by concern)
"""

__version__ = "0.1.0"
