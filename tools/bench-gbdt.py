#!/usr/bin/python3
"""bench-gbdt.py - scikit-learn's HistGradientBoostingClassifier beside
lq-train --model gbdt (tools/bench-gbdt.sh).

  bench-gbdt.py xedu Leads.csv          NDJSON of the rows with Lead Number
                                        % 5 != 0, each with its fold "_fold"
  bench-gbdt.py bank bank-full.csv      NDJSON without duration, with "_fold"
  bench-gbdt.py grow FILE N             N rows drawn with replacement from
                                        FILE (seed 1), for the timing
  bench-gbdt.py cv FILE --label PATH=JSON [--exclude GLOB]...
                                        AUC per fold (the rows' "_fold") and
                                        mean of HistGradientBoostingClassifier
                                        with its defaults
  bench-gbdt.py fit FILE --label ...    load, encode, fit once (timed by
                                        the caller)

Encoding, the same information lq-train --numeric standard --min-count 1
--max-levels 0 gives its trees: records flattened as lq-train does (nested
objects to dotted names, arrays to NAME.length), a field categorical when it
holds more strings/booleans than numbers (one-hot of every level, missing its
own level), else numeric as it is (missing NaN, which the trees route as
xgboost does).  Fold of row i (0-based, after filtering): lq-train's
splitmix64 hash of i, mod 5, as tools/sklearn-ref.py.
"""
import csv, fnmatch, importlib.util, json, os, random, re, sys

# the reading, encoding and folds of tools/sklearn-ref.py, not a copy
_spec = importlib.util.spec_from_file_location(
    'sklearn_ref', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'sklearn-ref.py'))
_ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ref)
cell, fold_of, level, flatten, get = (_ref.cell, _ref.fold_of, _ref.level,
                                      _ref.flatten, _ref.get)


def prep(path, sep, keep, drop):
    out = sys.stdout
    with open(path, newline='', encoding='utf-8-sig') as f:
        r = csv.reader(f, delimiter=sep)
        head = next(r)
        i = 0
        for row in r:
            d = dict(zip(head, map(cell, row)))
            if not keep(d):
                continue
            for k in drop:
                d.pop(k, None)
            d['_fold'] = fold_of(i, 5)
            i += 1
            out.write(json.dumps(d, ensure_ascii=False,
                                 separators=(',', ':')) + '\n')


def load(path, label, excl):
    import numpy as np
    field, want = label.split('=', 1)
    want = json.loads(want)
    skip = {field.split('.')[0], 'score', 'route', '_fold'}
    rows, y, folds = [], [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            y.append(1 if get(r, field) == want else 0)
            folds.append(r.get('_fold', 0))
            rows.append(flatten(r, {}, '', 0, skip))
    names = {}
    for r in rows:
        for k in r:
            names[k] = 1
    names = [k for k in names
             if not any(fnmatch.fnmatchcase(k, g) for g in excl)]
    blocks = []
    for k in names:
        vals = [r.get(k) for r in rows]
        nnum = sum(1 for v in vals if isinstance(v, (int, float))
                   and not isinstance(v, bool))
        nstr = sum(1 for v in vals if isinstance(v, (str, bool)))
        if nnum + nstr == 0:
            continue
        if nstr > nnum:
            lv = ['(missing)' if v is None or isinstance(v, (dict, list))
                  else level(v) for v in vals]
            levels = sorted(set(lv))
            if len(levels) < 2:
                continue
            idx = {l: i for i, l in enumerate(levels)}
            m = np.zeros((len(lv), len(levels)), dtype=np.float32)
            m[np.arange(len(lv)), [idx[l] for l in lv]] = 1
            blocks.append(m)
        else:
            x = np.array([float(v) if isinstance(v, (int, float)) and
                          not isinstance(v, bool) else np.nan for v in vals],
                         dtype=np.float32)
            blocks.append(x[:, None])
    return np.hstack(blocks), np.array(y), np.array(folds)


def opts(args):
    label, excl, files = None, [], []
    while args:
        a = args.pop(0)
        if a == '--label':
            label = args.pop(0)
        elif a == '--exclude':
            excl.append(args.pop(0))
        else:
            files.append(a)
    return files[0], label, excl


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd = args.pop(0)
    if cmd == 'xedu':
        prep(args[0], ',', lambda d: d['Lead Number'] % 5 != 0, [])
        return
    if cmd == 'bank':
        prep(args[0], ';', lambda d: True, ['duration'])
        return
    if cmd == 'grow':
        lines = open(args[0], encoding='utf-8').readlines()
        r = random.Random(1)
        sys.stdout.writelines(r.choice(lines) for _ in range(int(args[1])))
        return
    import warnings
    warnings.filterwarnings('ignore')
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    path, label, excl = opts(args)
    X, y, folds = load(path, label, excl)
    if cmd == 'fit':
        HistGradientBoostingClassifier(random_state=0).fit(X, y)
        return
    aucs = []
    for f in range(5):
        tr, te = folds != f, folds == f
        m = HistGradientBoostingClassifier(random_state=0).fit(X[tr], y[tr])
        aucs.append(round(roc_auc_score(y[te], m.predict_proba(X[te])[:, 1]),
                          6))
    print(json.dumps({'rows': int(len(y)), 'columns': int(X.shape[1]),
                      'auc': aucs, 'mean': round(sum(aucs) / 5, 6)}))


main()
