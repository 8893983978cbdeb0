/* placeholder until the SIP side lands */
#include <errno.h>
#include "gbsim.h"
int gbsim_sip_start(void) { return ENOSYS; }
double gbsim_sip_tick(double now) { return now + 1; }
void gbsim_sip_stop(void) { }
int gbsim_sip_done(void) { return 1; }
