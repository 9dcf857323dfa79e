namespace DthGrains.Simulation.Solvers;

/// <summary>How an integration over one segment ended.</summary>
public enum IntegrationStatus
{
    /// <summary>Reached the segment end.</summary>
    Completed = 0,

    /// <summary>Stopped at a terminal state event.</summary>
    StoppedAtEvent = 1,

    /// <summary>Dormand–Prince detected stiffness and was asked to hand over.</summary>
    StiffnessDetected = 2,

    /// <summary>Step size underflow (singularity or an impossible tolerance).</summary>
    StepSizeTooSmall = 3,

    /// <summary>Step budget exhausted.</summary>
    TooManySteps = 4,

    /// <summary>The right-hand side produced NaN or infinity that step reduction could not cure.</summary>
    NonFinite = 5,

    /// <summary>An external model's process failed (exit code, timeout, unreadable outputs): no solver of the engine ran.</summary>
    ExternalCodeFailed = 6,
}

/// <summary>Outcome of <see cref="OdeSolver{TSystem}.Integrate"/>: status and the time reached (the state is in the caller's span).</summary>
public readonly record struct IntegrationResult(IntegrationStatus Status, double Time)
{
    /// <summary>True when the result can be used (completed or stopped deliberately).</summary>
    public bool IsSuccess => Status is IntegrationStatus.Completed or IntegrationStatus.StoppedAtEvent or IntegrationStatus.StiffnessDetected;
}
