"""What every feature uses: errors, events, paging, commands' "not given", the unit of work
and other ports, who is calling and what they may see (authz, visibility), the event
dispatcher."""
