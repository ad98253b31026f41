return { adult = 18 }
