() => [sessionStorage.getItem('$storage_key') || '[]']
