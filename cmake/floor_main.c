/* SPDX-License-Identifier: MIT */
/* An empty program that cmake/floors.cmake links with the whole of one
 * floor's library: the link fails when that floor calls a floor above
 * it. */
int main(void)
{
    return 0;
}
