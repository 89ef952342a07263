typedef int srv_placeholder_handlers;
