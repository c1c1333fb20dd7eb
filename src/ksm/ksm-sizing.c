/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM knobs for a scan rate.  Pure: no I/O, no clock.
 *
 * ksmd scans pages_to_scan pages, then naps sleep_millisecs; its share of
 * a core is the batch's CPU time over the batch and the nap.  With its
 * speed in pages per CPU ms, a wanted share gives the batch for a nap.
 * The boost sizes a pass over the set for pass_ms, up to the share it
 * may use; the trickle covers the set in pass_ms at no more than the
 * kernel's default rate and a small share of a core.
 */
#include "config.h"

#include "ksm-sizing.h"

/* The kernel's default, 100 pages every 20 ms: the trickle's ceiling. */
#define DEFAULT_PAGES		100
#define DEFAULT_SLEEP_MS	20
/* Idle: five wake-ups a second instead of the kernel's fifty. */
#define IDLE_SLEEP_MS		200
/* Floor of the trickle, pages per ms: a small set is still looked at. */
#define IDLE_MIN_RATE		1.0
/*
 * And a ceiling on its CPU: a quarter of a percent of a core.  The
 * kernel's default costs about 0.4 % on a few GiB of guests (measured,
 * 6.18), more where merged zero pages make long chains of duplicates,
 * whose every page costs a walk of the chain when rescanned.
 */
#define IDLE_CPU_FRAC		0.0025
/* Boost batches end with a nap of 5 jiffies (HZ=250): little rounding. */
#define BOOST_SLEEP_MS		20
/* At this share of a core, sleep 0 and let ksmd run flat out. */
#define FULL_SPEED_FRAC		0.97
/* Batch between ksmd's checks for work when it never sleeps. */
#define FULL_SPEED_PAGES	20000
#define PAGES_MAX		4000000

/* Keep 4 significant bits: small drifts in speed do not rewrite knobs. */
static int64_t
quantize(double v)
{
	uint64_t	x, step = 1;

	if (v < 1)
		return 1;
	x = v > (double)PAGES_MAX ? PAGES_MAX : (uint64_t)v;
	while ((x >> 4) >= step)
		step <<= 1;
	return (int64_t)(x / step * step);
}

/* pages_to_scan for a share of a core at a given nap between batches. */
static int64_t
pages_for(double frac, double speed, double sleep_ms)
{
	return quantize(speed * sleep_ms * frac / (1 - frac));
}

/* A boost's knobs; returns the share of a core they are for. */
double
size_boost(const struct sizing *sz, struct policy_knobs *k)
{
	double	need, frac;

	need = (double)sz->set_pages / (double)sz->pass_ms / sz->speed;
	frac = need < sz->allowed_frac ? need : sz->allowed_frac;
	k->run = 1;
	if (sz->advisor) {
		k->advisor = KSM_ADVISOR_SCAN_TIME;
		k->sleep_ms = DEFAULT_SLEEP_MS;
		k->adv_target_s = (int64_t)((sz->pass_ms + 999) / 1000);
		k->adv_max_cpu = (int64_t)(sz->allowed_frac * 100);
		k->adv_min_pages = pages_for(frac > FULL_SPEED_FRAC ?
		    FULL_SPEED_FRAC : frac, sz->speed, DEFAULT_SLEEP_MS);
		k->adv_max_pages = k->adv_min_pages * 4;
		return frac;
	}
	if (sz->has_advisor)
		k->advisor = KSM_ADVISOR_NONE;
	if (frac >= FULL_SPEED_FRAC) {
		k->pages_to_scan = FULL_SPEED_PAGES;
		k->sleep_ms = 0;
	} else {
		k->pages_to_scan = pages_for(frac, sz->speed, BOOST_SLEEP_MS);
		k->sleep_ms = BOOST_SLEEP_MS;
	}
	return frac;
}

/* The trickle: one pass per pass_ms, never above the default rate. */
double
size_trickle(const struct sizing *sz, struct policy_knobs *k)
{
	double	rate, cpu_frac;

	rate = (double)sz->set_pages / (double)sz->pass_ms;
	rate = clampd(rate, IDLE_MIN_RATE,
	    (double)DEFAULT_PAGES / DEFAULT_SLEEP_MS);
	cpu_frac = (double)sz->budget_cpu_pct / 100.0;
	if (cpu_frac > IDLE_CPU_FRAC)
		cpu_frac = IDLE_CPU_FRAC;
	if (rate > cpu_frac * sz->speed)
		rate = cpu_frac * sz->speed;
	k->run = 1;
	if (sz->advisor) {
		k->advisor = KSM_ADVISOR_SCAN_TIME;
		k->sleep_ms = DEFAULT_SLEEP_MS;
		k->adv_target_s = (int64_t)(sz->pass_ms / 1000);
		k->adv_max_cpu = (int64_t)sz->budget_cpu_pct;
		k->adv_min_pages = quantize(rate * DEFAULT_SLEEP_MS);
		k->adv_max_pages = DEFAULT_PAGES;
		if (k->adv_max_pages < k->adv_min_pages)
			k->adv_max_pages = k->adv_min_pages;
	} else {
		if (sz->has_advisor)
			k->advisor = KSM_ADVISOR_NONE;
		k->pages_to_scan = quantize(rate * IDLE_SLEEP_MS);
		k->sleep_ms = IDLE_SLEEP_MS;
	}
	return rate / sz->speed;
}
