/* cmd.h: the tool layer shared by the commands: messages, options, parts. */
#ifndef CMD_H
#define CMD_H

#include <stdint.h>

#include "enc.h"
#include "endpoint.h"
#include "msg.h"
#include "opt.h"
#include "printer.h"
#include "proc.h"
#include "receive.h"
#include "stats.h"
#include "transmit.h"

#endif
