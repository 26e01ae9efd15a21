#!/usr/bin/python3
"""sklearn-ref.py - the scikit-learn reference for lq-train (tests, bench).

  sklearn-ref.py csv FILE [SEP]         CSV -> NDJSON on stdout (lq-csv's
                                        typing: JSON numbers, true/false,
                                        empty -> null)
  sklearn-ref.py cv [options] FILE      cross-validated AUC of
                                        LogisticRegression(C) with lq-train's
                                        --numeric standard --min-count 1
                                        encoding and the same folds
  sklearn-ref.py fit [options] FILE     load + fit once; prints seconds

options: --label PATH=JSON (label true when the dotted PATH equals the JSON
value; --skip-null skips rows where it is null or absent),
--exclude GLOB (repeatable), --cv K (5), --C C (1).
Encoding (same as lq-train --numeric standard --min-count 1): records are
flattened as lq-train does (nested objects to dotted names, arrays to
NAME.length; the label's top-level key, score and route left out); a field is categorical when it holds more strings/booleans than numbers
(one-hot, missing as its own level), else numeric (standardised with the
mean and population sd, missing -> 0 plus a missing indicator).
"""
import csv, fnmatch, json, re, sys, time

NUM = re.compile(r'^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$')


def cell(c):
    if c == '':
        return None
    if NUM.match(c):
        return json.loads(c)
    if c in ('true', 'false'):
        return c == 'true'
    return c


def to_ndjson(path, sep):
    with open(path, newline='', encoding='utf-8-sig') as f:
        r = csv.reader(f, delimiter=sep)
        head = next(r)
        out = sys.stdout
        for row in r:
            out.write(json.dumps(dict(zip(head, map(cell, row))),
                                 ensure_ascii=False, separators=(',', ':')))
            out.write('\n')


def fold_of(i, k):
    m = (1 << 64) - 1
    x = (i + 0x9e3779b97f4a7c15) & m
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & m
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & m
    return (x ^ (x >> 31)) % k


def level(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return '%.9g' % v
    return v


def flatten(obj, out, prefix, depth, skip):
    for k, v in obj.items():
        name = prefix + k
        if depth == 0 and k in skip:
            continue
        if isinstance(v, dict):
            if depth + 1 < 4:
                flatten(v, out, name + '.', depth + 1, skip)
        elif isinstance(v, list):
            out[name + '.length'] = len(v)
        else:
            out[name] = v
    return out


def get(r, path):
    for p in path.split('.'):
        if not isinstance(r, dict):
            return None
        r = r.get(p)
    return r


def load(path, label, excl, skip_null=False):
    import numpy as np
    from scipy import sparse
    field, want = label.split('=', 1)
    want = json.loads(want)
    skip = {field.split('.')[0], 'score', 'route'}
    rows, y = [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            v = get(r, field)
            if v is None and skip_null:
                continue
            y.append(1 if v == want else 0)
            rows.append(flatten(r, {}, '', 0, skip))
    names = {}
    for r in rows:
        for k in r:
            names[k] = 1
    names = [k for k in names if
             not any(fnmatch.fnmatchcase(k, g) for g in excl)]
    cols, data, indices, indptr = [], [], [], [0]
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
            m = sparse.csr_matrix((np.ones(len(lv)), ([i for i in range(len(lv))],
                                  [idx[l] for l in lv])), shape=(len(lv), len(levels)))
            blocks.append(m)
            cols += ['%s=%s' % (k, l) for l in levels]
        else:
            x = np.array([float(v) if isinstance(v, (int, float)) and
                          not isinstance(v, bool) else np.nan for v in vals])
            miss = np.isnan(x)
            mu = np.nanmean(x)
            sd = np.nanstd(x)
            if not sd > 0:
                sd = 1.0
            if sd == 1.0 and np.nanmax(x) == np.nanmin(x) and not miss.any():
                continue
            z = np.where(miss, 0.0, (x - mu) / sd)
            b = [z]
            if miss.any():
                b.append(miss.astype(float))
            blocks.append(sparse.csr_matrix(np.column_stack(b)))
            cols.append(k)
    X = sparse.hstack(blocks).tocsr()
    return X, np.array(y)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd = args.pop(0)
    if cmd == 'csv':
        to_ndjson(args[0], args[1] if len(args) > 1 else ',')
        return
    label, excl, k, C, skip_null = None, [], 5, 1.0, False
    files = []
    while args:
        a = args.pop(0)
        if a == '--label':
            label = args.pop(0)
        elif a == '--exclude':
            excl.append(args.pop(0))
        elif a == '--cv':
            k = int(args.pop(0))
        elif a == '--skip-null':
            skip_null = True
        elif a == '--C':
            C = float(args.pop(0))
        else:
            files.append(a)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    import numpy as np
    import warnings
    warnings.filterwarnings('ignore')
    t0 = time.time()
    X, y = load(files[0], label, excl, skip_null)
    if cmd == 'fit':
        LogisticRegression(C=C, max_iter=1000).fit(X, y)
        print('%.3f' % (time.time() - t0))
        return
    folds = np.array([fold_of(i, k) for i in range(len(y))])
    oof = np.zeros(len(y))
    for f in range(k):
        tr, te = folds != f, folds == f
        m = LogisticRegression(C=C, max_iter=1000).fit(X[tr], y[tr])
        oof[te] = m.predict_proba(X[te])[:, 1]
    bins = np.minimum((oof * 10).astype(int), 9)
    ece = sum(abs(oof[bins == b].sum() - y[bins == b].sum())
              for b in range(10)) / len(y)
    print(json.dumps({'rows': int(len(y)), 'columns': int(X.shape[1]),
                      'auc': round(roc_auc_score(y, oof), 6),
                      'ece': round(float(ece), 6)}))


if __name__ == '__main__':
    main()
