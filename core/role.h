/* SPDX-License-Identifier: MIT */
/* The roles a principal can hold, ordered: a principal with a role has
 * every lower one too. Stored by name in the principals table. */
#ifndef CORE_ROLE_H
#define CORE_ROLE_H

#include <stdbool.h>

enum role {
    ROLE_NONE = 0, /* open route: no signature needed */
    ROLE_READER,
    ROLE_WRITER,
    ROLE_ADMIN,
};

/* "reader", "writer", "admin" or "none"; static storage. */
const char *role_name(enum role role);
/* Parses a role name (not "none"); returns false when unknown. */
bool role_parse(const char *name, enum role *out);

#endif
