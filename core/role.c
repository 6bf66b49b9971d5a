/* SPDX-License-Identifier: MIT */
/* Role names: what principals, the CLI and the route table call them. */
#include "role.h"

#include <string.h>

static const char *const role_names[] = {"none", "reader", "writer", "admin"};

const char *role_name(enum role role)
{
    return (unsigned)role <= ROLE_ADMIN ? role_names[role] : "none";
}

bool role_parse(const char *name, enum role *out)
{
    for (int r = ROLE_READER; r <= ROLE_ADMIN; r++) {
        if (strcmp(name, role_names[r]) == 0) {
            *out = (enum role)r;
            return true;
        }
    }
    return false;
}
