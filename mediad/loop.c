/* epoll event loop with periodic timers, after Redis's ae.c. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "common/vtime.h"
#include "loop.h"

#define LOOP_MAX_TIMERS	16
#define LOOP_BATCH	64

struct loop_timer {
	unsigned	 interval_ms;
	uint64_t	 next_us;
	loop_timer_cb	 cb;
	void		*arg;
};

struct loop {
	int			 ep;
	int			 stop;
	unsigned		 ntimers;
	struct loop_timer	 timers[LOOP_MAX_TIMERS];
	loop_timer_cb		 after;
	void			*after_arg;
};

int
loop_alloc(struct loop **lp)
{
	struct loop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ENOMEM;
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		int e = errno;

		free(l);
		return e;
	}
	*lp = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->ep);
	free(l);
}

int
loop_add(struct loop *l, struct loop_ev *ev)
{
	struct epoll_event e = { .events = ev->events, .data.ptr = ev };

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, ev->fd, &e) == -1 ? errno : 0;
}

int
loop_mod(struct loop *l, struct loop_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (ev->events == events)
		return 0;
	ev->events = events;
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, ev->fd, &e) == -1 ? errno : 0;
}

void
loop_del(struct loop *l, struct loop_ev *ev)
{
	epoll_ctl(l->ep, EPOLL_CTL_DEL, ev->fd, NULL);
}

int
loop_every(struct loop *l, unsigned interval_ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;

	if (l->ntimers == LOOP_MAX_TIMERS)
		return ENOSPC;
	t = &l->timers[l->ntimers++];
	t->interval_ms = interval_ms;
	t->next_us = vtime_mono_us() + interval_ms * 1000ULL;
	t->cb = cb;
	t->arg = arg;
	return 0;
}

/* Runs due timers; returns milliseconds until the next one. */
static int
loop_timers(struct loop *l)
{
	uint64_t now = vtime_mono_us(), next = now + 1000000;

	for (unsigned i = 0; i < l->ntimers && !l->stop; i++) {
		struct loop_timer *t = &l->timers[i];

		if (t->next_us <= now) {
			t->cb(t->arg);
			now = vtime_mono_us();
			/* a slow handler skips ticks rather than bunching */
			t->next_us += t->interval_ms * 1000ULL;
			if (t->next_us <= now)
				t->next_us = now + t->interval_ms * 1000ULL;
		}
		if (t->next_us < next)
			next = t->next_us;
	}
	return next > now ? (int)((next - now + 999) / 1000) : 0;
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_BATCH];

	while (!l->stop) {
		int n, wait = loop_timers(l);

		if (l->stop)
			break;
		if ((n = epoll_wait(l->ep, evs, LOOP_BATCH, wait)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_ev *ev = evs[i].data.ptr;

			ev->cb(ev->arg, evs[i].events);
		}
		if (l->after != NULL)
			l->after(l->after_arg);
	}
	return 0;
}

void
loop_after(struct loop *l, loop_timer_cb cb, void *arg)
{
	l->after = cb;
	l->after_arg = arg;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}
