/*
 * lqreps.h - the --reps mode of lq-train (cmd/lqreps.c): rep win rates
 * for lq-route.  lq-train's main() starts with
 *	if (lqreps_wanted(argc, argv))
 *		return lqreps_main(argc, argv);
 */
#ifndef LQREPS_H
#define LQREPS_H

/* Whether --reps is among the arguments (before a "--"). */
int lqreps_wanted(int argc, char **argv);

/* lq-train --reps: parse the options, count the deals, write the YAML;
 * returns the exit status. */
int lqreps_main(int argc, char **argv);

#endif
