typedef int srv_placeholder_main;
