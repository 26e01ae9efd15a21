/*
 * model_int.h - private to the model (lib/model.c, lib/model_file.c).
 */
#ifndef LQ_MODEL_INT_H
#define LQ_MODEL_INT_H

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_gbdt.h"
#include "lq_model.h"
#include "lq_score.h"
#include "lq_time.h"
#include "lq_yaml.h"

/* tables shared between the parts */
extern const char *const model_tier_names[];

/* functions shared between the parts */
void model_feat_index(struct lq_feat *f);

#endif
