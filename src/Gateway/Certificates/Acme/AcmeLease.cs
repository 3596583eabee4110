namespace Gateway.Certificates.Acme;

/// <summary>
/// A lock held in the store (see <see cref="AcmeLocks"/>): renewed every third of the lease while the work runs,
/// released when disposed. <see cref="Lost"/> fires when the lease can no longer be trusted - taken over after this
/// process stalled, or not renewed in time because the store failed - and the work should stop.
/// </summary>
internal sealed class AcmeLease : IAsyncDisposable
{
    private readonly AcmeLocks _locks;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;
    private AcmeLockInfo _info;

    public AcmeLease(AcmeLocks locks, AcmeLockInfo info, TimeProvider time)
    {
        _locks = locks;
        _info = info;
        _time = time;
        _renewing = RenewAsync();
    }

    public AcmeLockInfo Info => Volatile.Read(ref _info);

    public CancellationToken Lost => _lost.Token;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing;
        if (!_lost.IsCancellationRequested && !_locks.Superseded(_info))
        {
            try
            {
                _locks.Write(_info with { Released = true, Expires = _time.GetUtcNow() });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not released: the next instance waits for the lease to expire instead.
            }
        }

        _lost.Dispose();
        _stop.Dispose();
    }

    private async Task RenewAsync()
    {
        var interval = _locks.Lease / 3;
        while (true)
        {
            try
            {
                await Task.Delay(interval, _time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                if (_locks.Superseded(_info))
                {
                    await _lost.CancelAsync();
                    return;
                }

                var renewed = _info with { Expires = _time.GetUtcNow() + _locks.Lease };
                _locks.Write(renewed);
                Volatile.Write(ref _info, renewed);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Tried again next interval; once the lease has run out others may take over, so the work stops.
                if (_time.GetUtcNow() >= _info.Expires)
                {
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
    }
}
