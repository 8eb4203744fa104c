"""Pure values and rules. Nothing here touches a file, a socket, a database or the clock."""
