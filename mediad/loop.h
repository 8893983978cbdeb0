/*
 * mediad's single-threaded event loop: epoll file events and periodic
 * timers. Handlers run on the loop thread only.
 */
#ifndef VIGIL_LOOP_H
#define VIGIL_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_fd_cb)(void *arg, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);

/* One registered descriptor; owned by the caller, valid while added. */
struct loop_ev {
	int		 fd;
	uint32_t	 events;
	loop_fd_cb	 cb;
	void		*arg;
};

int	loop_alloc(struct loop **lp);
void	loop_free(struct loop *l);
/* Registers ev (EPOLLIN/EPOLLOUT in events); 0 or an errno. */
int	loop_add(struct loop *l, struct loop_ev *ev);
/* Changes the events ev waits for. */
int	loop_mod(struct loop *l, struct loop_ev *ev, uint32_t events);
void	loop_del(struct loop *l, struct loop_ev *ev);
/* Calls cb every interval_ms, first after interval_ms. */
int	loop_every(struct loop *l, unsigned interval_ms, loop_timer_cb cb,
	    void *arg);
/*
 * Calls cb after every batch of events, when no handler runs: the place to
 * free objects closed by handlers (a later event of the batch may name them).
 */
void	loop_after(struct loop *l, loop_timer_cb cb, void *arg);
/* Runs until loop_stop; 0 or an errno. */
int	loop_run(struct loop *l);
void	loop_stop(struct loop *l);

#endif
